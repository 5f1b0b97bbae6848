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
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createServer } from 'node:net';
import { RegistryClient, type ManifestDraft } from '@sentiment-edge/registry';
import { buildTinyModel, DATA_DIR, evaluateModel } from '@sentiment-edge/training';
import { modelFiles } from '@sentiment-edge/training/publish';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'worker/node_modules/.bin/wrangler');
const CONFIG = join(ROOT, 'wrangler.toml');

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

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

async function startWrangler(token: string): Promise<{ url: string; startMs: number; stop(): void }> {
  const persist = mkdtempSync(join(tmpdir(), 'predict-bench-'));
  const env = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' };
  const mig = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '--config', CONFIG], { cwd: ROOT, env, encoding: 'utf8' });
  if (mig.status !== 0) throw new Error(`migrations failed:\n${mig.stdout}\n${mig.stderr}`);
  const [port, inspector] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(
    WRANGLER,
    ['dev', '--config', CONFIG, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', persist, '--local', '--show-interactive-dev-session=false', '--log-level', 'warn', '--var', `REGISTRY_TOKEN:${token}`, '--var', 'STORE_TEXT:true'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // gone
    }
    rmSync(persist, { recursive: true, force: true });
  };
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${log}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, startMs: performance.now() - started, stop };
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`wrangler dev did not start:\n${log}`);
}

/** The model to publish (path → bytes) and its manifest draft, evaluated on `data`. */
async function prepareModel(name: string, dir: string, data: string): Promise<{ files: Map<string, Uint8Array>; draft: Omit<ManifestDraft, 'files'> }> {
  if (!existsSync(data)) throw new Error(`evaluation file ${data} not found: pass --data FILE (a labelled CSV/JSONL the training package reads)`);
  const { evaluation, labels } = await evaluateModel(dir, data);
  const metaPath = join(dir, 'training-meta.json');
  const training = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as ManifestDraft['training']) : null;
  return { files: await modelFiles(dir), draft: { name, labels, evaluation, training } };
}

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
  let prepared: Awaited<ReturnType<typeof prepareModel>>;
  try {
    if (tinyDir) buildTinyModel(tinyDir, { seed: 7 });
    prepared = await prepareModel(name, modelDir ?? tinyDir!, resolve(arg('data') ?? join(DATA_DIR, 'sst2/validation.csv')));
  } finally {
    if (tinyDir) rmSync(tinyDir, { recursive: true, force: true });
  }
  const { files, draft } = prepared;
  const worker = external ? { url: external, startMs: NaN, stop() {} } : await startWrangler(token);
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
    worker.stop();
  }
}

await main();
