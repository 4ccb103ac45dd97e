/**
 * Stock @apollo/gateway behind @apollo/server's standalone server, as its documentation sets it
 * up: the supergraph at SUPERGRAPH_PATH as a static supergraphSdl, no plugins, listening on PORT.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

async function main() {
  const supergraphSdl = readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8');
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
}

main().catch((error) => {
  console.error(`stock Apollo gateway could not start: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
