import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** Files worth compressing; images other than SVG and fonts are compressed already. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|ico|txt|map)$/;

/**
 * Writes `<file>.br` and `<file>.gz` beside every compressible file of the build, at the highest
 * levels (done once here, so the router sends them without compressing anything per request:
 * gateway/src/webApp.ts). A variant that would not be smaller is not written.
 */
export function precompress(): Plugin {
  const brotli = promisify(brotliCompress);
  const gzipped = promisify(gzip);
  let outDir = '';
  return {
    name: 'dorandoran:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files = (await readdir(outDir, { recursive: true })).map((file) => path.join(outDir, file)).filter((file) => COMPRESSIBLE.test(file));
      await Promise.all(
        files.map(async (file) => {
          if (!(await stat(file)).isFile()) return;
          const content = await readFile(file);
          const variants: [string, Buffer][] = [
            ['.br', await brotli(content, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } })],
            ['.gz', await gzipped(content, { level: constants.Z_BEST_COMPRESSION })],
          ];
          for (const [extension, compressed] of variants) if (compressed.length < content.length) await writeFile(file + extension, compressed);
        }),
      );
    },
  };
}

/** Libraries in chunks of their own: they change less often than the app, so a browser keeps them across releases. */
const VENDOR_CHUNKS = [
  { name: 'react', test: /[\\/]node_modules[\\/](?:react|react-dom|scheduler|react-router)[\\/]/ },
  { name: 'apollo', test: /[\\/]node_modules[\\/](?:@apollo|rxjs|@wry|optimism|tslib)[\\/]/ },
  { name: 'graphql', test: /[\\/]node_modules[\\/](?:graphql|graphql-ws)[\\/]/ },
];

/**
 * The app (`npm run dev:web`: hot reload on :5173, GraphQL over HTTP and graphql-ws proxied to the
 * router). The local GraphiQL is a build of its own (vite.graphiql.config.mts), so that what only
 * it uses never lands in the chunks the app shares with it.
 */
export default defineConfig({
  plugins: [react(), precompress()],
  server: {
    port: 5173,
    proxy: { '/graphql': { target: process.env.ROUTER_ORIGIN ?? 'http://localhost:8080', ws: true } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: { output: { codeSplitting: { groups: VENDOR_CHUNKS } } },
  },
});
