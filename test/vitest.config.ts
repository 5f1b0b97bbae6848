import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file starts its own Worker (and some a browser): two at once fit on 2 cores.
    fileParallelism: false,
    globalSetup: ['src/global-setup.ts'],
  },
});
