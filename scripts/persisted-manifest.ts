/**
 * Writes web/persisted-query-manifest.json, in Apollo's persisted-query-manifest format, from the
 * persisted documents `npm run codegen` generated for the web app. The router's safelist mode
 * (SAFELIST_PATH) loads it; the ids are the sha256 hashes the app's documents carry.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getOperationAST, parse } from 'graphql';

const root = path.join(__dirname, '..');
const documentsFile = path.join(root, 'web/src/__generated__/persisted-documents.json');
const manifestFile = path.join(root, 'web/persisted-query-manifest.json');

async function main() {
  const documents = JSON.parse(await readFile(documentsFile, 'utf8')) as Record<string, string>;
  const operations = Object.entries(documents).map(([id, body]) => {
    const operation = getOperationAST(parse(body));
    if (!operation?.name) throw new Error(`persisted document ${id} is not one named operation`);
    return { id, name: operation.name.value, type: operation.operation, body };
  });
  operations.sort((a, b) => a.name.localeCompare(b.name));
  const manifest = { format: 'apollo-persisted-query-manifest', version: 1, operations };
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`Wrote ${path.relative(root, manifestFile)} (${operations.length} operations).`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
