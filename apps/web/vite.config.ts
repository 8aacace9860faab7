import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built to static files that `backlot serve` serves; nothing is fetched from outside at run time.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': 'http://127.0.0.1:7420' } },
});
