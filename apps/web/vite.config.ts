import { defineConfig } from 'vite';

// `vite build` → dist/ (served by the frontend at /). `vite` (dev) proxies the API, GraphQL, the
// page config and the OTLP proxy to a frontend on FRONTEND_URL (default http://127.0.0.1:3000).
const frontend = process.env['FRONTEND_URL'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: __dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: Object.fromEntries(['/api', '/graphql', '/config.json', '/otlp'].map((path) => [path, { target: frontend, changeOrigin: false }])),
  },
});
