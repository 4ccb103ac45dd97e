/**
 * `npm run build`: every service compiled for `node` into dist/, one bundle per entry point, laid out as
 * the sources are (dist/gateway/src/index.js, dist/subgraphs/<name>/src/index.js), with the files the
 * services read beside them where they look (`__dirname/..`): each subgraph's schema.graphql, the
 * supergraph, the web app's persisted-query manifest and, when `npm run build:web` has made it, the
 * web app. dist/ and the root node_modules are then all a service needs (the Docker image's last stage).
 * `npm run build` type-checks first what `npm run typecheck` does not cover (tsconfig.build.json:
 * deploy/migrate.ts); esbuild itself only strips the types.
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const SUBGRAPHS = ['auth', 'users', 'chat', 'store', 'batch'];

/** What `node dist/<entry>.js` runs: the services, auth's admin command, and a rollout's migration step. */
export const ENTRY_POINTS = [
  'gateway/src/index.ts',
  ...SUBGRAPHS.map((name) => `subgraphs/${name}/src/index.ts`),
  'subgraphs/auth/src/commands/adminCreate.ts',
  'deploy/migrate.ts',
];

/** Files the services read at run time, copied to the same place under dist/. */
const ASSETS = ['supergraph.graphql', 'web/persisted-query-manifest.json', ...SUBGRAPHS.map((name) => `subgraphs/${name}/schema.graphql`)];

const ROOT_MODULES = path.join(ROOT, 'node_modules') + path.sep;

/**
 * Packages that patches/ changes (patch-package, from npm install's postinstall), e.g. `@apollo/gateway` from
 * `@apollo+gateway+2.14.4.patch`: bundled as patched here, so dist/ carries the fixes whatever node_modules it
 * runs on (the image's production install has no patch-package and leaves them as published).
 */
const PATCHED_PACKAGES = new Set(
  existsSync(path.join(ROOT, 'patches'))
    ? readdirSync(path.join(ROOT, 'patches'))
        .filter((file) => file.endsWith('.patch'))
        .map((file) => file.replace(/\+[^+]+\.patch$/, '').replace('+', '/'))
    : [],
);

/** The package a file under the root node_modules belongs to: `@scope/name` or `name`. */
function packageOf(file: string): string {
  const [first, second] = file.slice(ROOT_MODULES.length).split(path.sep);
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/**
 * A package is left to `require` at run time when the import resolves to the root node_modules, which
 * `node dist/…` finds the same way. Our workspaces (@dorandoran/*) and packages a workspace keeps in a
 * node_modules of its own (service-kit's @opentelemetry 2.x, the gateway's @apollo/utils.keyvaluecache
 * 4) are bundled: from dist/ a require would find the root's other versions. So are the patched packages.
 */
const externalRootPackages: Plugin = {
  name: 'external-root-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
      const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const nested = resolved.path.slice(ROOT_MODULES.length).includes(`${path.sep}node_modules${path.sep}`);
      if (resolved.path.startsWith(ROOT_MODULES) && !nested && !PATCHED_PACKAGES.has(packageOf(resolved.path))) return { path: args.path, external: true };
      return resolved;
    });
  },
};

export interface BuildOptions {
  /** Where the bundles go (dist/ unless given): under the root, so that their `require`s find the root's node_modules. */
  outdir?: string;
  /** Copy the web app in when `npm run build:web` has made it (the default). */
  webApp?: boolean;
}

export async function buildServices({ outdir = DIST, webApp = true }: BuildOptions = {}): Promise<void> {
  if (PATCHED_PACKAGES.size > 0) console.log(`Bundling the patched ${[...PATCHED_PACKAGES].join(', ')} (patches/).`);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outbase: '.',
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The lowest Node the services support (package.json engines); the image runs Node 24.
    target: 'node20.19',
    // MikroORM knows entities and migrations by their class names (a migration's is stored in the database).
    keepNames: true,
    sourcemap: 'linked',
    tsconfig: 'tsconfig.json',
    plugins: [externalRootPackages],
    logLevel: 'warning',
  });
  for (const asset of ASSETS) cpSync(path.join(ROOT, asset), path.join(outdir, asset));
  const builtWebApp = path.join(ROOT, 'web', 'dist');
  if (webApp && existsSync(path.join(builtWebApp, 'index.html'))) cpSync(builtWebApp, path.join(outdir, 'web', 'dist'), { recursive: true });
}

if (require.main === module) {
  const started = performance.now();
  buildServices().then(
    () => {
      const web = existsSync(path.join(DIST, 'web', 'dist')) ? 'with the web app' : 'without the web app (run `npm run build:web` first to include it)';
      console.log(`Built ${ENTRY_POINTS.length} entry points into dist/ ${web} in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    },
    (error: unknown) => {
      console.error(`Build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
