import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The backend (Sanic) serves dist/ at /, /staff and /admin; `npm run dev` proxies the API to it.
// The texts and money helpers shared with the mini-program live in ../clients/shared, which the
// dev server may read too.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000', '/docs': 'http://127.0.0.1:8000' },
    fs: { allow: ['.', '../clients/shared'] },
  },
})
