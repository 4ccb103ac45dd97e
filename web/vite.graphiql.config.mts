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
    rolldownOptions: {
      input: { graphiql: 'graphiql.html' },
      // GraphiQL's react-compiler-runtime opens with "use no memo", a hint for the React Compiler,
      // which this build does not run: bundling drops it harmlessly, so the warning only alarms.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE' && log.message.includes('react-compiler-runtime')) return;
        handler(level, log);
      },
    },
  },
});
