import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell loads the built files from ui/dist; in dev it loads this server.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: '127.0.0.1' },
  build: {
    target: 'safari15',
    outDir: 'dist',
    emptyOutDir: true,
    // Nothing inlined as data: URLs into scripts; the CSP allows only files from the app.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Unmounts rendered components after each test.
    setupFiles: ['@testing-library/svelte/vitest'],
  },
  // Vitest runs in mode "test": resolve Svelte's browser build, not its server build.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
}));
