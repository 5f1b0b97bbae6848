import { defineConfig } from 'vitest/config';

// Unit tests for the pure logic (store, sync, CSV, sha verification); browser tests live in test/pwa.test.ts.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
