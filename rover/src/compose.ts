/**
 * `npm run compose` writes supergraph.graphql from supergraph.yaml, like `rover supergraph compose`.
 * `npm run compose -- --check` fails when the committed file differs from a fresh composition.
 * The rover binary downloads itself at install time, which cannot work everywhere; this does the
 * same composition with @apollo/composition.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, type SupergraphConfig } from './supergraph';

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const configPath = path.resolve(argv.find((arg) => !arg.startsWith('--')) ?? 'supergraph.yaml');
  const outputPath = path.resolve(path.dirname(configPath), 'supergraph.graphql');
  const result = await composeSupergraph(configPath);
  if (!result.ok) {
    console.error(`Composition failed with ${result.errors.length} error(s):`);
    for (const error of result.errors) console.error(`  ${error}`);
    return 1;
  }
  const current = await readFile(outputPath, 'utf8').catch(() => '');
  if (check) {
    if (current === result.supergraphSdl) {
      console.log(`${path.relative(process.cwd(), outputPath)} is up to date (${describe(result.config)}).`);
      return 0;
    }
    console.error(`${path.relative(process.cwd(), outputPath)} is stale: run \`npm run compose\` and commit the result.`);
    return 1;
  }
  await writeFile(outputPath, result.supergraphSdl);
  console.log(`Wrote ${path.relative(process.cwd(), outputPath)} (${describe(result.config)}).`);
  return 0;
}

const describe = (config: SupergraphConfig) => `${Object.keys(config.subgraphs).length} subgraphs, federation ${config.federation_version}`;

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
