import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const APP_VERSION = `${process.env.npm_package_version ?? '0.1.0'}+${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(APP_VERSION) },
  plugins: [
    svelte(),
    VitePWA({
      // A new service worker waits until the user accepts it: never swapped mid-task.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png'],
      manifest: {
        name: 'Sentiment Edge',
        short_name: 'Sentiment',
        description: 'Sentiment analysis that runs on your own device, online or offline.',
        theme_color: '#1e3a5f',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        cacheId: 'sentiment-edge',
        // App shell + the plain WASM runtime (needed offline). The WebGPU (JSPI) runtime is cached on first use.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}', 'assets/ort-wasm-simd-threaded-*.wasm'],
        globIgnores: ['**/*jspi*'],
        maximumFileSizeToCacheInBytes: 20 * 1024 * 1024,
        navigateFallback: '/index.html',
        // Only the app's own address falls back to the shell (its views are #/… hashes); any other path
        // goes to the network, which answers 404 (wrangler.toml not_found_handling = "404-page").
        navigateFallbackAllowlist: [/^\/(index\.html)?(\?.*)?$/],
        navigateFallbackDenylist: [/^\/api\//, /^\/(health|live|ready|metrics|openapi\.json|docs)$/],
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.startsWith('/assets/') && url.pathname.endsWith('.wasm'),
            handler: 'CacheFirst',
            options: { cacheName: 'sentiment-edge-runtime-wasm-v1' },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: { target: 'es2022', assetsInlineLimit: 0, chunkSizeWarningLimit: 1024 },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { proxy: { '/api': 'http://127.0.0.1:8787' } },
});
