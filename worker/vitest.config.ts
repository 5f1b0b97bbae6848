/**
 * Tests run inside workerd (@cloudflare/vitest-pool-workers) with the root wrangler.toml's bindings:
 * a real local D1 and R2, no mocks. test/apply-migrations.ts applies worker/migrations exactly as
 * `wrangler d1 migrations apply` does in production.
 *
 * Three projects: `registry` (the registry's data functions and HTTP routes) and `worker-shared` (the
 * monitoring, canary, evaluation and feedback tests) each share one runtime and one storage across
 * their files (`isolate: false`: each file costs 10–30 s to start on a small machine), so their tests
 * use unique model names; every other test file keeps the default per-file isolation.
 *
 * The inference and serving tests run a REAL model: this file (Node side) trains and exports a tiny
 * one with the training package (`buildTinyModel`, ~1 s) once per run, and hands its files and the
 * onnxruntime-node reference probabilities to the tests as the TINY_MODELS binding (test/tiny-model.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { tsImport } from 'tsx/esm/api';
import { defineConfig } from 'vitest/config';
import { FIXTURE_SEEDS, FIXTURE_TEXTS, type TinyModelFixture, type TinyModelFixtures } from './test/tiny-model.ts';
import { FEEDBACK_TOKEN } from './test/tokens.ts';

const REGISTRY_TESTS = ['test/**/*.test.ts', 'src/db/**/*.test.ts', 'src/storage/**/*.test.ts', 'src/auth.test.ts'];
/**
 * Worker tests whose every model has a unique name (test/helpers.ts uniqueName, or a name no other test
 * uses) and whose assertions hold whatever other models the storage holds (the hourly job judges every
 * model), or that touch no storage at all (metrics, ort): they share one runtime, as the registry project
 * does, instead of starting workerd with the model fixtures once per file (each start: 20–40 s on a
 * loaded 2-core machine, for files whose tests run in milliseconds). Module state they change (the
 * resolver's cache, the metrics clock) they reset or restore themselves.
 */
const SHARED_WORKER_TESTS = [
  'src/monitor/**/*.test.ts',
  'src/serving/canary.test.ts',
  'src/routes/evaluations.test.ts',
  'src/jobs/**/*.test.ts',
  'src/routes/feedback.test.ts',
  'src/serving/prometheus.test.ts',
  'src/serving/resolve.test.ts',
  'src/inference/model-cache.test.ts',
  'src/inference/ort.test.ts',
  'src/routes/openapi-baseline.test.ts',
];

declare module 'vitest' {
  export interface ProvidedContext {
    /** MAX_FILE_BYTES for the project's Worker. */
    maxFileBytes: string;
    /** Whether the project's tests get the TINY_MODELS binding. */
    tinyModels: boolean;
  }
}

// The training package is TypeScript source (with syntax Node's type stripping refuses): load it through tsx.
type Training = typeof import('@sentiment-edge/training');
type Publish = typeof import('@sentiment-edge/training/publish');
type Testing = typeof import('@sentiment-edge/training/testing');
const training = () => tsImport('@sentiment-edge/training', import.meta.url) as Promise<Training>;
const testing = () => tsImport('@sentiment-edge/training/testing', import.meta.url) as Promise<Testing>;
const publishing = () => tsImport('@sentiment-edge/training/publish', import.meta.url) as Promise<Publish>;

async function probabilities(dir: string, dtype: 'fp32' | 'q8'): Promise<number[][]> {
  const { loadPredictor } = await training();
  const predictor = await loadPredictor(dir, { dtype });
  try {
    return (await predictor.probabilities(FIXTURE_TEXTS)).map((p) => Array.from(p));
  } finally {
    await predictor.close();
  }
}

async function buildFixtures(): Promise<TinyModelFixtures> {
  const [{ loadPredictor }, { buildTinyModel }, { modelFiles }] = await Promise.all([training(), testing(), publishing()]);
  const root = await mkdtemp(join(tmpdir(), 'worker-tiny-model-'));
  try {
    const out: TinyModelFixtures = {};
    for (const seed of FIXTURE_SEEDS) {
      const { dir } = buildTinyModel(join(root, String(seed)), { seed });
      const files = await modelFiles(dir);
      const predictor = await loadPredictor(dir, { dtype: 'q8' });
      const labels = predictor.labels;
      await predictor.close();
      const fixture: TinyModelFixture = {
        seed,
        labels,
        files: Object.fromEntries([...files].map(([path, bytes]) => [path, Buffer.from(bytes).toString('base64')])),
        expected: { fp32: await probabilities(dir, 'fp32'), int8: await probabilities(dir, 'q8') },
      };
      out[String(seed)] = fixture;
    }
    return out;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// Once per run, shared by every project and pool start.
let fixtures: Promise<TinyModelFixtures> | undefined;

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: fileURLToPath(new URL('../wrangler.toml', import.meta.url)) },
      miniflare: {
        bindings: {
          REGISTRY_TOKEN: 'test-token-0123456789',
          FEEDBACK_TOKEN: FEEDBACK_TOKEN,
          // Shadow scoring samples requests at random and loads challengers in the background; tests that
          // want it set SHADOW_RATE themselves (src/monitor/shadow.test.ts), the rest stay deterministic.
          SHADOW_RATE: '0',
          MAX_FILE_BYTES: inject('maxFileBytes'),
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url))),
          ...(inject('tinyModels') ? { TINY_MODELS: await (fixtures ??= buildFixtures()) } : {}),
        },
      },
    })),
  ],
  test: {
    setupFiles: ['./test/apply-migrations.ts'],
    // Requests through workerd: a test of a few dozen requests can take seconds on a busy 2-core machine.
    testTimeout: 30_000,
    // Most of a file's time is its workerd start (the `worker` project starts one per file) and waiting on
    // it: two runtimes at once on 2 cores, where vitest's default is one.
    maxWorkers: 2,
    projects: [
      // Small, so the 413 paths are testable without megabytes.
      { extends: true, test: { name: 'registry', include: REGISTRY_TESTS, isolate: false, provide: { maxFileBytes: '65536', tinyModels: false } } },
      // Room for the real model's files (about 1 MB for the fp32 graph).
      { extends: true, test: { name: 'worker', include: ['src/**/*.test.ts'], exclude: [...REGISTRY_TESTS, ...SHARED_WORKER_TESTS], provide: { maxFileBytes: String(16 * 1024 * 1024), tinyModels: true } } },
      // The same, in one runtime and storage (see SHARED_WORKER_TESTS).
      { extends: true, test: { name: 'worker-shared', include: SHARED_WORKER_TESTS, isolate: false, provide: { maxFileBytes: String(16 * 1024 * 1024), tinyModels: true } } },
    ],
  },
});
