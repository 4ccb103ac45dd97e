import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './vite.config.mts';

/**
 * The local GraphiQL the router serves at /graphiql (gateway/src/webApp.ts), built after the app
 * into the same dist/ (graphiql.html and its own assets), with nothing shared with the app's chunks.
 */
export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: { input: { graphiql: 'graphiql.html' } },
  },
});
