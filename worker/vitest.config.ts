/**
 * Tests run inside workerd (@cloudflare/vitest-pool-workers) with the root wrangler.toml's bindings:
 * a real local D1 and R2, no mocks. test/apply-migrations.ts applies worker/migrations exactly as
 * `wrangler d1 migrations apply` does in production.
 *
 * Two projects: `registry` (the registry's data functions and HTTP routes) shares one runtime and
 * one storage across its files (`isolate: false`: each file costs seconds to start on a small
 * machine), so its tests use unique model names; every other test file keeps the default
 * per-file isolation.
 */
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const REGISTRY_TESTS = ['test/**/*.test.ts', 'src/db/**/*.test.ts', 'src/storage/**/*.test.ts', 'src/auth.test.ts'];

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: fileURLToPath(new URL('../wrangler.toml', import.meta.url)) },
      miniflare: {
        bindings: {
          REGISTRY_TOKEN: 'test-token-0123456789',
          // Small, so the 413 path is testable without megabytes.
          MAX_FILE_BYTES: '65536',
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url))),
        },
      },
    })),
  ],
  test: {
    setupFiles: ['./test/apply-migrations.ts'],
    projects: [
      { extends: true, test: { name: 'registry', include: REGISTRY_TESTS, isolate: false } },
      { extends: true, test: { name: 'worker', include: ['src/**/*.test.ts'], exclude: REGISTRY_TESTS } },
    ],
  },
});
