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
import { DATA_DIR } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { versionDraft } from '@sentiment-edge/training/publish';
import { REPO_ROOT as ROOT, startLocalWorker, startLocalWorkerd, type LocalWorker } from '../scripts/local-worker.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const SEQUENTIAL = Number(arg('requests') ?? 500);
const CONCURRENCY = Number(arg('concurrency') ?? 16);
const DURATION_MS = Number(arg('seconds') ?? 10) * 1000;
const TEXT = 'A wonderful, heartfelt film with great acting.';

const HELP = `Benchmark of POST /api/v1/predict against a local Worker.

  --runtime R        workerd: the bundled Worker in workerd via Miniflare, no dev proxy (local workerd);
                     wrangler: \`wrangler dev\` (adds its proxy worker); both (default): one after the
                     other. Each starts with fresh local D1/R2 and the migrations applied.
  --url URL          a running Worker instead (--runtime is ignored)
  --token T          its REGISTRY_TOKEN (default: bench-token)
  --model-dir DIR    an exported model (default: a tiny one built now by the training package)
  --data FILE        labelled file the model is evaluated on for its manifest
                     (default: ${join(DATA_DIR, 'sst2/validation.csv')})
  --requests N       sequential requests (default 500)
  --concurrency N    concurrent clients (default 16)
  --seconds S        duration of the concurrent phase (default 10)
  --out FILE         result file (default: bench-results/predict.json)`;

async function predictOnce(url: string, body: string, token?: string): Promise<number> {
  const t = performance.now();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/api/v1/predict`, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${text}`);
  return performance.now() - t;
}

/**
 * /live, anonymous /predict and /predict with the token, one after the other in each round, so that
 * the machine's load (other processes, GC) falls on all three alike: their p50s and the per-round
 * differences are comparable. Anonymous requests pass the rate limiter where it is configured (keep
 * the rounds under its limit); token requests skip it but check the token.
 */
async function paired(live: () => Promise<number>, anonymous: () => Promise<number>, operator: () => Promise<number>, rounds: number) {
  const l: number[] = [];
  const a: number[] = [];
  const o: number[] = [];
  const da: number[] = [];
  const dop: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const [x, y, z] = [await live(), await anonymous(), await operator()];
    l.push(x);
    a.push(y);
    o.push(z);
    da.push(y - x);
    dop.push(z - x);
  }
  const p50 = (v: number[]) => r2(pct([...v].sort((p, q) => p - q), 50));
  return { rounds, liveP50Ms: p50(l), anonymousP50Ms: p50(a), operatorP50Ms: p50(o), anonymousMinusLiveP50Ms: p50(da), operatorMinusLiveP50Ms: p50(dop) };
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
  const runtime = arg('runtime') ?? 'both';
  if (!['workerd', 'wrangler', 'both'].includes(runtime)) throw new Error(`--runtime must be workerd, wrangler or both (got ${runtime})`);
  const targets: { label: string; start: () => Promise<Pick<LocalWorker, 'url' | 'startMs' | 'stop'>> }[] = external
    ? [{ label: external, start: async () => ({ url: external, startMs: NaN, stop: async () => {} }) }]
    : [
        ...(runtime !== 'wrangler' ? [{ label: 'workerd via Miniflare (bundled Worker, no dev proxy; local D1/R2)', start: () => startLocalWorkerd({ token }) }] : []),
        ...(runtime !== 'workerd' ? [{ label: 'wrangler dev (local workerd behind the dev proxy; local D1/R2)', start: () => startLocalWorker({ token }) }] : []),
      ];
  const runs: Awaited<ReturnType<typeof measure>>[] = [];
  for (const t of targets) runs.push(await measure(t.label, await t.start(), token, name, draft, files));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    model: { name, source: modelDir ?? 'tiny model built by @sentiment-edge/training (buildTinyModel, seed 7)', bytes: runs[0]!.modelBytes, precision: 'int8' },
    text: TEXT,
    targets: { p50Ms: 3, requestsPerSecond: 500, predictMinusLiveP50Ms: 1 },
    runs: runs.map(({ modelBytes: _, ...r }) => r),
  };
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const outFile = resolve(ROOT, arg('out') ?? 'bench-results/predict.json');
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n/predict benchmark (${result.machine.cpus} cores; targets: p50 ≤ 3 ms, ≥ 500 req/s at ${CONCURRENCY} concurrent)`);
  const table: Record<string, Record<string, number>> = {};
  const row = (k: string, pick: (r: (typeof runs)[number]) => number) => (table[k] = Object.fromEntries(runs.map((r) => [r.runtime, pick(r)])));
  row('worker start → /health (ms)', (r) => r.coldStart.workerStartMs);
  row('first predict: R2 load + session (ms)', (r) => r.coldStart.firstPredictMs);
  row('p50 one short text (ms)', (r) => r.sequential.p50Ms);
  row('p90 (ms)', (r) => r.sequential.p90Ms);
  row('p99 (ms)', (r) => r.sequential.p99Ms);
  row(`req/s at ${CONCURRENCY} concurrent`, (r) => r.concurrent.requestsPerSecond);
  row(`p50 at ${CONCURRENCY} concurrent (ms)`, (r) => r.concurrent.p50Ms);
  row('latencyMs reported by the Worker', (r) => r.serverLatencyMs);
  row('floor: GET /live p50 (ms)', (r) => r.floorLive.sequential.p50Ms);
  row('paired rounds: /live p50 (ms)', (r) => r.hotPath.liveP50Ms);
  row('paired: anonymous /predict p50 (ms)', (r) => r.hotPath.anonymousP50Ms);
  row('paired: token /predict p50 (ms)', (r) => r.hotPath.operatorP50Ms);
  row('paired: anonymous − /live, p50 of differences (ms)', (r) => r.hotPath.anonymousMinusLiveP50Ms);
  row('paired: token − /live, p50 of differences (ms)', (r) => r.hotPath.operatorMinusLiveP50Ms);
  row(`floor: GET /live req/s at ${CONCURRENCY}`, (r) => r.floorLive.concurrent.requestsPerSecond);
  row('load average (1 min) at the end', (r) => r.loadAverage[0]!);
  console.table(table);
  for (const r of runs) console.log(`${r.runtime}: ${r.target}`);
  console.log(`written: ${relative(ROOT, outFile)}`);
}

async function measure(
  target: string,
  worker: Pick<LocalWorker, 'url' | 'startMs' | 'stop'>,
  token: string,
  name: string,
  draft: Awaited<ReturnType<typeof versionDraft>>['draft'],
  files: Awaited<ReturnType<typeof versionDraft>>['files'],
) {
  try {
    const client = new RegistryClient({ baseUrl: worker.url, token });
    const published = await client.publish(draft, files);
    await client.setAlias(name, 'champion', { version: published.version });
    const body = JSON.stringify({ text: TEXT, model: name });

    // The token is carried everywhere but in the paired anonymous requests: the operator's own load is
    // not rate limited.
    const predict = () => predictOnce(worker.url, body, token);
    // Cold: first request loads the model from R2 and creates the ONNX session.
    const coldMs = await predict();
    for (let i = 0; i < 50; i++) await predict(); // warm-up

    const live = async () => {
      const t = performance.now();
      await (await fetch(`${worker.url}/live`)).text();
      return performance.now() - t;
    };
    // 250 anonymous requests stay under the per-client limit (300 per 10 s) where the limiter is bound.
    const hotPath = await paired(live, () => predictOnce(worker.url, body), predict, 250);
    const seq = await sequential(predict);
    const conc = await concurrent(predict);
    // The harness floor: the same client against GET /live (no model, no D1), through the same server.
    const floorSeq = await sequential(live);
    const floorConc = await concurrent(live);
    const serverSide = (await (await fetch(`${worker.url}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { latencyMs: number };
    return {
      runtime: target.startsWith('workerd') ? 'workerd' : target.startsWith('wrangler') ? 'wrangler dev' : 'url',
      target,
      modelVersion: published.version,
      modelBytes: published.bytes,
      coldStart: { workerStartMs: r2(worker.startMs), firstPredictMs: r2(coldMs) },
      sequential: seq,
      concurrent: conc,
      floorLive: { sequential: floorSeq, concurrent: floorConc },
      hotPath,
      loadAverage: loadavg().map(r2),
      serverLatencyMs: serverSide.latencyMs,
    };
  } finally {
    await worker.stop();
  }
}

await main();
