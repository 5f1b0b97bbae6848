import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real ONNX Runtime sessions and CPU-bound training: use processes, at most 2 at a time (2 cores).
    pool: 'forks',
    maxWorkers: 2,
  },
});
