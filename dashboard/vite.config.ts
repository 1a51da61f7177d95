// The live dashboard's build: `npm run build:dashboard` (also part of `npm run build`) writes dashboard/dist,
// which the API serves at /dashboard. Paths are relative to the repository root, where npm runs scripts.
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'dashboard',
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
});
