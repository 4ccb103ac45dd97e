import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `npm run dev:web`: hot reload on :5173, GraphQL (HTTP and graphql-ws) proxied to the router. */
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/graphql': { target: process.env.ROUTER_ORIGIN ?? 'http://localhost:8080', ws: true } },
  },
  build: { outDir: 'dist', emptyOutDir: true },
});
