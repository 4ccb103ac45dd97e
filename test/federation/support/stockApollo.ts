/**
 * Stock @apollo/gateway, as published, beside the patched one the router runs: npm install applies
 * patches/ to node_modules (patch-package), so the comparison needs copies of the patched packages
 * with those patches taken back out. They are made once per set of patches, in a folder under
 * node_modules from which everything else still resolves to the project's own packages.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const PATCHES = path.join(ROOT, 'patches');

/** `@apollo+query-planner+2.14.4.patch` → `@apollo/query-planner`. */
function patchedPackages(): { name: string; patch: string }[] {
  return readdirSync(PATCHES)
    .filter((file) => file.endsWith('.patch'))
    .map((file) => ({ name: file.replace(/\+[^+]*\.patch$/, '').replace('+', '/'), patch: path.join(PATCHES, file) }));
}

function stockFolder(): string {
  const packages = patchedPackages();
  const hash = createHash('sha256');
  for (const { patch } of packages) hash.update(readFileSync(patch));
  const folder = path.join(ROOT, 'node_modules', `.federation-stock-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(folder)) return folder;
  // Built aside and renamed into place, so that a run beside this one never sees half a copy.
  const building = mkdtempSync(`${folder}-building-`);
  for (const { name, patch } of packages) {
    cpSync(path.join(ROOT, 'node_modules', name), path.join(building, 'node_modules', name), { recursive: true });
    try {
      execFileSync('patch', ['--reverse', '--strip=1', '--silent', `--directory=${building}`, `--input=${patch}`], { stdio: 'pipe' });
    } catch (error) {
      rmSync(building, { recursive: true, force: true });
      throw new Error(`${name} in node_modules is not patched as ${patch} says: run npm install (${String(error)})`);
    }
  }
  try {
    renameSync(building, folder);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return folder;
}

/** Apollo Server and @apollo/gateway loaded from the stock copies (and one graphql with the rest). */
export function loadStockApollo() {
  const stockRequire = createRequire(path.join(stockFolder(), 'package.json'));
  return {
    ApolloGateway: (stockRequire('@apollo/gateway') as typeof import('@apollo/gateway')).ApolloGateway,
    ApolloServer: (stockRequire('@apollo/server') as typeof import('@apollo/server')).ApolloServer,
  };
}
