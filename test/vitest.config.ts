import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file starts its own `wrangler dev` (and some a browser), then mostly waits on it: two files
    // at once on 2 cores (vitest's default there is one). Every file has its own Worker, storage, ports
    // and browser profile (startLocalWorker, launchBrowser), so files cannot see each other's state.
    maxWorkers: 2,
    globalSetup: ['src/global-setup.ts'],
  },
});
