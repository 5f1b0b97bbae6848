/**
 * Benchmark of POST /api/v1/predict against a local Worker (not a test).
 *
 *   pnpm --filter @sentiment-edge/worker bench                 # starts `wrangler dev` itself
 *   pnpm --filter @sentiment-edge/worker bench -- --url http://127.0.0.1:8787 --token T
 *   pnpm --filter @sentiment-edge/worker bench -- --model-dir path/to/exported-model
 *
 * Without --model-dir it publishes a tiny real model trained and exported on the spot by the training
 * package (buildTinyModel, seed 7). Either model is evaluated on --data (default: SST-2 validation in
 * the shared data directory) with the training package's evaluateModel, which gives the manifest its
 * evaluation; training-meta.json (written by the exporter) gives its training record.
 *
 * Reports: cold start (Worker start until /health; first /predict, which loads the model from R2
 * and creates the ONNX session), p50/p90/p99 latency of one short text (sequential), and
 * requests/s with 16 concurrent clients. Writes bench-results/predict.json at the repository root.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { RegistryClient } from '@sentiment-edge/registry';
import { buildTinyModel, DATA_DIR } from '@sentiment-edge/training';
import { versionDraft } from '@sentiment-edge/training/publish';
import { REPO_ROOT as ROOT, startLocalWorker } from '../scripts/local-worker.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const SEQUENTIAL = Number(arg('requests') ?? 500);
const CONCURRENCY = Number(arg('concurrency') ?? 16);
const DURATION_MS = Number(arg('seconds') ?? 10) * 1000;
const TEXT = 'A wonderful, heartfelt film with great acting.';

const HELP = `Benchmark of POST /api/v1/predict against a local Worker.

  --url URL          a running Worker (default: start \`wrangler dev\` with fresh local D1/R2)
  --token T          its REGISTRY_TOKEN (default: bench-token)
  --model-dir DIR    an exported model (default: a tiny one built now by the training package)
  --data FILE        labelled file the model is evaluated on for its manifest
                     (default: ${join(DATA_DIR, 'sst2/validation.csv')})
  --requests N       sequential requests (default 500)
  --concurrency N    concurrent clients (default 16)
  --seconds S        duration of the concurrent phase (default 10)
  --out FILE         result file (default: bench-results/predict.json)`;

async function predictOnce(url: string, body: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${text}`);
  return performance.now() - t;
}

async function sequential(f: () => Promise<number>) {
  const lat: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) lat.push(await f());
  lat.sort((a, b) => a - b);
  return { requests: SEQUENTIAL, p50Ms: r2(pct(lat, 50)), p90Ms: r2(pct(lat, 90)), p99Ms: r2(pct(lat, 99)) };
}

async function concurrent(f: () => Promise<number>) {
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - start < DURATION_MS) lat.push(await f());
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { clients: CONCURRENCY, seconds: r2(seconds), requests: lat.length, requestsPerSecond: r2(lat.length / seconds), p50Ms: r2(pct(lat, 50)), p99Ms: r2(pct(lat, 99)) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const token = arg('token') ?? 'bench-token';
  const external = arg('url');
  const name = `bench-${Date.now().toString(36)}`;
  const modelDir = arg('model-dir');
  const tinyDir = modelDir ? undefined : mkdtempSync(join(tmpdir(), 'predict-bench-model-'));
  const data = resolve(arg('data') ?? join(DATA_DIR, 'sst2/validation.csv'));
  if (!existsSync(data)) throw new Error(`evaluation file ${data} not found: pass --data FILE (a labelled CSV/JSONL the training package reads)`);
  let prepared: Awaited<ReturnType<typeof versionDraft>>;
  try {
    if (tinyDir) buildTinyModel(tinyDir, { seed: 7 });
    prepared = await versionDraft(modelDir ?? tinyDir!, name, { data });
  } finally {
    if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
  }
  const { files, draft } = prepared;
  const worker = external ? { url: external, startMs: NaN, stop: async () => {} } : await startLocalWorker({ token });
  try {
    const client = new RegistryClient({ baseUrl: worker.url, token });
    const published = await client.publish(draft, files);
    await client.setAlias(name, 'champion', { version: published.version });
    const body = JSON.stringify({ text: TEXT, model: name });

    // Cold: first request loads the model from R2 and creates the ONNX session.
    const coldMs = await predictOnce(worker.url, body);
    for (let i = 0; i < 50; i++) await predictOnce(worker.url, body); // warm-up

    const predict = () => predictOnce(worker.url, body);
    const live = async () => {
      const t = performance.now();
      await (await fetch(`${worker.url}/live`)).text();
      return performance.now() - t;
    };
    const seq = await sequential(predict);
    const conc = await concurrent(predict);
    // The harness floor: the same client against GET /live (no model, no D1), through the same dev server.
    const floorSeq = await sequential(live);
    const floorConc = await concurrent(live);
    const serverSide = (await (await fetch(`${worker.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { latencyMs: number };
    const result = {
      date: new Date().toISOString(),
      target: external ? external : 'wrangler dev (local workerd, local D1/R2)',
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      model: { name, version: published.version, source: modelDir ?? 'tiny model built by @sentiment-edge/training (buildTinyModel, seed 7)', bytes: published.bytes, precision: 'int8' },
      text: TEXT,
      coldStart: { workerStartMs: r2(worker.startMs), firstPredictMs: r2(coldMs) },
      sequential: seq,
      concurrent: conc,
      floorLive: { sequential: floorSeq, concurrent: floorConc },
      loadAverage: loadavg().map(r2),
      serverLatencyMs: serverSide.latencyMs,
      targets: { p50Ms: 3, requestsPerSecond: 500 },
    };
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    const outFile = resolve(ROOT, arg('out') ?? 'bench-results/predict.json');
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\n/predict benchmark (${result.target}, ${result.machine.cpus} cores)`);
    console.table({
      'worker start → /health (ms)': result.coldStart.workerStartMs,
      'first predict: R2 load + session (ms)': result.coldStart.firstPredictMs,
      'p50 one short text (ms)': result.sequential.p50Ms,
      'p90 (ms)': result.sequential.p90Ms,
      'p99 (ms)': result.sequential.p99Ms,
      [`req/s at ${CONCURRENCY} concurrent`]: result.concurrent.requestsPerSecond,
      [`p50 at ${CONCURRENCY} concurrent (ms)`]: result.concurrent.p50Ms,
      'latencyMs reported by the Worker': result.serverLatencyMs,
      'floor: GET /live p50 (ms)': floorSeq.p50Ms,
      [`floor: GET /live req/s at ${CONCURRENCY}`]: floorConc.requestsPerSecond,
      'load average (1 min) at the end': r2(loadavg()[0]!),
    });
    console.log(`written: ${relative(ROOT, outFile)}`);
  } finally {
    await worker.stop();
  }
}

await main();
