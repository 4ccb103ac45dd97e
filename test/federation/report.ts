/**
 * `npx tsx test/federation/report.ts`: every conformance case through our router and through stock
 * @apollo/gateway, and a table of the cases either gets wrong.
 */
import { answers } from './support/compare';
import { startGateway, startSubgraphHost, type GatewayName } from './support/gateways';
import { SUITES } from './suites';

async function main() {
  const host = await startSubgraphHost(SUITES);
  const failed: Record<GatewayName, string[]> = { ours: [], stock: [] };
  let total = 0;
  for (const suite of SUITES) {
    const supergraph = host.supergraphOf(suite);
    for (const name of ['ours', 'stock'] as const) {
      const gateway = await startGateway(name, supergraph);
      const cases = suite.cases();
      if (name === 'ours') total += cases.length;
      for (const [index, { query, variables, expected }] of cases.entries()) {
        if (!answers(await gateway.execute(query, variables), expected)) failed[name].push(`${suite.id} #${index}`);
      }
      await gateway.close();
    }
  }
  await host.close();
  for (const name of ['ours', 'stock'] as const) {
    console.log(`${name}: ${total - failed[name].length} of ${total} right${failed[name].length ? `; wrong: ${failed[name].join(', ')}` : ''}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
