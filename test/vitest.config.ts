import { defineConfig } from 'vitest/config';

/**
 * Files that change what every other file's Worker serves, so they run alone, after the rest:
 * - deploy.test.ts: `pnpm run deploy --dry-run` rebuilds web/dist (emptied, then written again);
 * - pwa-app-update.test.ts: rewrites web/dist/sw.js to stand for a new deployment (restored after).
 */
const SERIAL = ['deploy.test.ts', 'pwa-app-update.test.ts'];

/**
 * How many files run at once. Each file has its own `wrangler dev` (free ports, its own --persist-to
 * directory), its own browser and temporary directories, and mostly waits on them. Two at once: with three,
 * on the shared 2-core machine at load 13-18, CLI-heavy tests (registry-roundtrip's eight `pnpm registry`
 * runs) and the 10,000-request load test ran past their time limits. TEST_FILES_AT_ONCE overrides it
 * (1: one at a time).
 */
const AT_ONCE = Number(process.env.TEST_FILES_AT_ONCE ?? 2);

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Once per run: builds web/dist and trains the tiny models the files share (src/global-setup.ts).
    globalSetup: ['src/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'side-by-side', include: ['**/*.test.ts'], exclude: ['node_modules/**', ...SERIAL], maxWorkers: AT_ONCE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'serial', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
