import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildServices } from '../../../scripts/build';
import { inputsHash } from '../../../scripts/buildWeb';

/**
 * The services compiled as the image runs them (`npm run build`'s bundles, scripts/build.ts), for the
 * process stacks: from its bundle a service starts with 1.0–1.6 s less CPU than under tsx (on 2 cores,
 * the router 2.3–3.2 s against 3.6–4.9 s, users 1.4–1.6 s against 2.4–3.2 s), and the replicas and
 * fault suites start some forty. Built once per version of the sources into
 * node_modules/.cache/dorandoran-services/<hash>, under the root so that the bundles' `require`s find
 * its packages, and shared by every test file and worker that needs it.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'dorandoran-services');
/** Written last: a folder without it is a build still under way or cut off. */
const COMPLETE = '.complete';
/** Builds of earlier sources are removed once this old (a run of the older sources may still be using one). */
const KEEP_OLD_BUILDS_MS = 60 * 60_000;

/** What the bundles are made from besides node_modules, whose versions the lockfile pins. */
function inputs(): string[] {
  const workspaces = ['packages', 'subgraphs'].flatMap((folder) => readdirSync(path.join(ROOT, folder)).map((name) => `${folder}/${name}`));
  return [
    ...[...workspaces, 'gateway'].flatMap((workspace) => [`${workspace}/src`, `${workspace}/package.json`, `${workspace}/schema.graphql`]),
    'deploy/migrate.ts',
    'supergraph.graphql',
    'web/persisted-query-manifest.json',
    'patches',
    'package-lock.json',
    'tsconfig.json',
    'scripts/build.ts',
  ];
}

/** The folder of the current sources' build (its `gateway/src/index.js`, `subgraphs/<name>/src/index.js`), made when missing. */
export async function compiledServices(): Promise<string> {
  const folder = path.join(CACHE, inputsHash(inputs()).slice(0, 16));
  if (existsSync(path.join(folder, COMPLETE))) return folder;
  await mkdir(CACHE, { recursive: true });
  // Workers that find it missing at once each build into a folder of their own; the first rename wins.
  const building = `${folder}.${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await buildServices({ outdir: building, webApp: false });
    await writeFile(path.join(building, COMPLETE), '');
    await rename(building, folder).catch((error: unknown) => {
      if (!existsSync(path.join(folder, COMPLETE))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  for (const name of readdirSync(CACHE)) {
    const other = path.join(CACHE, name);
    if (other !== folder && Date.now() - statSync(other).mtimeMs > KEEP_OLD_BUILDS_MS) await rm(other, { recursive: true, force: true });
  }
  return folder;
}
