import { defaultClientConditions, defineConfig } from 'vite';

// Served by the loader under /console/. No plugin-react: esbuild's automatic JSX
// runtime is all a production build needs. No inline script (the server's CSP).
// `source` first: the contract is taken from its TypeScript (as tests and tsc do),
// so the console builds whether or not the loader's dist/ is there yet.
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic' },
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    rollupOptions: {
      // zod's sources carry comments Rollup cannot place; it drops them (harmless)
      // but would say so on every fresh `npm start`.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
});
