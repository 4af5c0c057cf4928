import { defineConfig } from 'vite';

// Served by the loader under /console/. No plugin-react: esbuild's automatic JSX
// runtime is all a production build needs. No inline script (the server's CSP).
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, modulePreload: { polyfill: false } },
});
