/**
 * /live and /predict latency while a big evaluation runs, against a running Worker (not a test).
 *
 *   PORT=8890 pnpm dev      # in another shell: the app with its default model
 *   pnpm --filter @sentiment-edge/worker exec tsx bench/evaluation-load.ts --url http://127.0.0.1:8890 [--rows 100000]
 *
 * Builds a labelled CSV of --rows rows from the shared training files (sst2 and goemotions, cycled), then:
 * 1. idle: --requests sequential requests, /live and /predict (one short text) in turn;
 * 2. load: uploads the CSV (POST /api/v1/evaluations as text/csv) and, from the moment it is sent until the run
 *    is finished (the POST answered 201, or answered 202 and GET /api/v1/evaluations/{id} no longer 'running'),
 *    the same sequential requests.
 * Prints p50 / p95 / max of each route in each phase, the POST's answer time and status, and the run's duration.
 * The token is REGISTRY_TOKEN from the repository's .dev.vars unless --token is given.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseLabelledDelimited, type EvaluationRun } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { REPO_ROOT } from '../scripts/local-worker.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const URL_ = arg('url') ?? 'http://127.0.0.1:8787';
const ROWS = Number(arg('rows') ?? 100_000);
const IDLE_REQUESTS = Number(arg('requests') ?? 400);
const MODEL = arg('model') ?? 'sentiment@champion';
const TOKEN = arg('token') ?? /^REGISTRY_TOKEN\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(join(REPO_ROOT, '.dev.vars'), 'utf8'))?.[1];
if (!TOKEN) throw new Error('no --token and no REGISTRY_TOKEN in .dev.vars');

const field = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
function buildCsv(rows: number): string {
  const source = ['sst2/train.csv', 'goemotions/train.csv'].flatMap((f) => parseLabelledDelimited(readFileSync(join(DATA_DIR, f), 'utf8'), { source: f }));
  const lines = ['text,label'];
  for (let i = 0; i < rows; i++) {
    const r = source[i % source.length]!;
    lines.push(`${field(r.text)},${r.label}`);
  }
  return `${lines.join('\n')}\n`;
}

async function timed(route: 'live' | 'predict'): Promise<number> {
  const t = performance.now();
  const res =
    route === 'live'
      ? await fetch(`${URL_}/live`)
      : await fetch(`${URL_}/api/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'A wonderful, heartfelt film with great acting.' }) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status}`);
  return performance.now() - t;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const summary = (xs: number[]) => ({ n: xs.length, p50: +pct(xs, 50).toFixed(2), p95: +pct(xs, 95).toFixed(2), max: +Math.max(...xs).toFixed(2) });

async function main() {
  const csv = buildCsv(ROWS);
  console.log(`CSV: ${ROWS} rows, ${(csv.length / 1048576).toFixed(1)} MiB; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  for (let i = 0; i < 20; i++) await timed(i % 2 ? 'live' : 'predict'); // warm: the model loaded, the isolate hot
  const idle = { live: [] as number[], predict: [] as number[] };
  for (let i = 0; i < IDLE_REQUESTS; i++) {
    const route = i % 2 ? 'live' : 'predict';
    idle[route].push(await timed(route));
  }

  const during = { live: [] as number[], predict: [] as number[] };
  const started = performance.now();
  let finished = false;
  let posted: { status: number; ms: number; run: EvaluationRun } | undefined;
  const job = (async () => {
    const res = await fetch(`${URL_}/api/v1/evaluations?model=${encodeURIComponent(MODEL)}&dataset=bench-${ROWS}.csv`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${TOKEN}` }, body: csv });
    posted = { status: res.status, ms: performance.now() - started, run: (await res.json()) as EvaluationRun };
    if (res.status !== 201 && res.status !== 202) throw new Error(`POST: HTTP ${res.status} ${JSON.stringify(posted.run)}`);
    let run = posted.run;
    while (run.status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      run = (await (await fetch(`${URL_}/api/v1/evaluations/${run.id}`)).json()) as EvaluationRun;
    }
    return run;
  })().finally(() => (finished = true));
  for (let i = 0; !finished; i++) {
    const route = i % 2 ? 'live' : 'predict';
    const ms = await timed(route);
    if (!finished) during[route].push(ms);
  }
  const run = await job;
  const total = performance.now() - started;
  const result = {
    rows: ROWS,
    post: { status: posted!.status, answeredMs: +posted!.ms.toFixed(0) },
    run: { status: run.status, durationMs: run.durationMs, untilFinishedMs: +total.toFixed(0), error: run.error },
    idle: { live: summary(idle.live), predict: summary(idle.predict) },
    during: { live: summary(during.live), predict: summary(during.predict) },
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  };
  console.log(JSON.stringify(result, null, 2));
  const ratio = (k: 'live' | 'predict') => (result.during[k].p50 / result.idle[k].p50 - 1) * 100;
  console.log(`p50 during vs idle: /live ${result.during.live.p50} vs ${result.idle.live.p50} ms (${ratio('live').toFixed(0)} %), /predict ${result.during.predict.p50} vs ${result.idle.predict.p50} ms (${ratio('predict').toFixed(0)} %)`);
}

await main();
