// The evaluation queue consumer, driven through the Worker's own `queue` handler with batches built by
// cloudflare:test (createMessageBatch / getQueueResult), on local D1/R2 with the real tiny model. Runs are
// seeded with the data functions (CSV in R2, a 'running' row), so the real queue never sees these messages
// and every delivery, retry and duplicate is the test's own. A failure is injected by a bucket whose read
// of one run's CSV throws once.
import { computeMetrics, sha256Hex, type EvaluationRun } from '@sentiment-edge/registry';
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel, uniqueName } from '../../test/helpers.ts';
import { HOUR, runScheduled } from '../../test/monitor.ts';
import { FIXTURE_TEXTS } from '../../test/tiny-model.ts';
import { getEvaluation, insertRunningEvaluation } from '../db/evaluations.ts';
import worker from '../index.ts';
import { datasetKey } from '../routes/evaluations.ts';
import { EVALUATION_ATTEMPTS, type EvaluationMessage } from './evaluations.ts';

const model = tinyModel(7);
const NAME = uniqueName('queued');
const QUEUE = 'sentiment-edge-evaluations';
let version: number;

const GOLD = ['positive', 'negative', 'negative', 'positive', 'positive', 'negative', 'positive', 'positive', 'negative', 'negative'];
/** `n` rows cycling through the fixture texts, with fixed gold labels (some disagree with the model). */
const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => [FIXTURE_TEXTS[i % FIXTURE_TEXTS.length]!, GOLD[i % GOLD.length]!] as const);
const csvOf = (rows: readonly (readonly [string, string])[]) => `text,label\n${rows.map(([t, l]) => `${/[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t},${l}`).join('\n')}\n`;

function reference(rows: readonly (readonly [string, string])[]) {
  const gold = Int32Array.from(rows, ([, l]) => model.labels.indexOf(l));
  return computeMetrics(gold, rows.map(([t]) => Float32Array.from(model.expected(t as (typeof FIXTURE_TEXTS)[number], 'int8'))), model.labels);
}

/** A run as the route leaves a queued one: its CSV in R2, its row 'running'. Returns the message the route sends. */
async function seedRun(rows: number, createdAt = new Date().toISOString()): Promise<EvaluationMessage & { rows: ReturnType<typeof rowsOf> }> {
  const data = rowsOf(rows);
  const bytes = new TextEncoder().encode(csvOf(data));
  const name = `${uniqueName('ds')}.csv`;
  await env.MODELS.put(datasetKey(name), bytes);
  const id = crypto.randomUUID();
  await insertRunningEvaluation(env.DB, { id, model: { name: NAME, version }, precision: 'int8', source: 'upload', dataset: { name, sha256: await sha256Hex(bytes), rows }, labels: model.labels, createdAt });
  return { id, key: datasetKey(name), rows: data };
}

/** The Worker's `queue` handler on one batch; returns which messages it acknowledged and which it retried. */
async function deliver(messages: (EvaluationMessage & { attempts?: number })[], bindings: typeof env = env) {
  const batch = createMessageBatch<EvaluationMessage>(
    QUEUE,
    messages.map((m) => ({ id: `msg-${m.id}`, timestamp: new Date(), attempts: m.attempts ?? 1, body: { id: m.id, key: m.key } })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  const result = await getQueueResult(batch, ctx);
  return { acked: (result.explicitAcks as string[]).map((id) => id.slice(4)).sort(), retried: (result.retryMessages as { msgId: string }[]).map((m) => m.msgId.slice(4)).sort() };
}

/** The Worker's bindings with R2 reads of `key` failing the first `times` times. */
function failingReads(key: string, times: number) {
  let left = times;
  const bucket = new Proxy(env.MODELS, {
    get(target, prop) {
      if (prop === 'get') {
        return (k: string, opts?: R2GetOptions) => {
          if (k === key && left > 0) {
            left--;
            return Promise.reject(new Error('injected: R2 read failed'));
          }
          return target.get(k, opts);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ...env, MODELS: bucket };
}

const run = async (id: string) => (await getEvaluation(env.DB, id))!;

function expectScored(r: EvaluationRun, rows: ReturnType<typeof rowsOf>) {
  const ref = reference(rows);
  expect(r).toMatchObject({ status: 'succeeded', error: null, dataset: { rows: rows.length } });
  expect(r.metrics!.confusion).toEqual(ref.confusion);
  // Every row scored exactly once: the confusion matrix counts each row in one cell.
  expect(r.metrics!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(rows.length);
  for (const k of ['accuracy', 'macroF1', 'ece'] as const) expect(Math.abs(r.metrics![k] - ref[k]), k).toBeLessThanOrEqual(1e-6);
}

beforeAll(async () => {
  version = await publish(NAME, { files: model.files });
});

describe('the evaluation queue consumer', () => {
  it('loses no run when a consumer fails mid-batch: the failed message is retried, then scored once with every row', async () => {
    const [a, b, c] = [await seedRun(700), await seedRun(1_300), await seedRun(500)];
    const first = await deliver([a, b, c], failingReads(b.key, 1));
    // The messages before and after the failure are scored and acknowledged; the failed one alone is retried.
    expect(first).toEqual({ acked: [a.id, c.id].sort(), retried: [b.id] });
    expectScored(await run(a.id), a.rows);
    expectScored(await run(c.id), c.rows);
    expect((await run(b.id)).status).toBe('running');
    // The queue's retry (attempt 2) scores it.
    expect(await deliver([{ ...b, attempts: 2 }])).toEqual({ acked: [b.id], retried: [] });
    const done = await run(b.id);
    expectScored(done, b.rows);
    // A duplicate delivery after it finished is acknowledged and changes nothing.
    expect(await deliver([{ ...b, attempts: 1 }, { ...a, attempts: 3 }])).toEqual({ acked: [a.id, b.id].sort(), retried: [] });
    expect(await run(b.id)).toEqual(done);
    console.log(`failure injected mid-batch: 3 runs, ${a.rows.length + b.rows.length + c.rows.length} rows, 1 retry, ${(await Promise.all([a, b, c].map((m) => run(m.id)))).reduce((n, r) => n + r.metrics!.confusion.flat().reduce((x, y) => x + y, 0), 0)} rows scored`);
  });

  it('fails the run on the last attempt with the reason, and at once when its CSV was replaced', async () => {
    const last = await seedRun(50);
    expect(await deliver([{ ...last, attempts: EVALUATION_ATTEMPTS }], failingReads(last.key, 1))).toEqual({ acked: [last.id], retried: [] });
    const failed = await run(last.id);
    expect(failed).toMatchObject({ status: 'failed', metrics: null });
    expect(failed.error).toMatch(new RegExp(`injected: R2 read failed \\(gave up after ${EVALUATION_ATTEMPTS} attempts\\)`));
    expect(failed.finishedAt).not.toBeNull();

    const replaced = await seedRun(50);
    await env.MODELS.put(replaced.key, csvOf(rowsOf(51)));
    expect(await deliver([replaced])).toEqual({ acked: [replaced.id], retried: [] });
    const r = await run(replaced.id);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/was replaced by another upload.*sha256 differs/);
    // Listed and fetched by id with the reason.
    const got = await callJson<EvaluationRun>('GET', `/api/v1/evaluations/${replaced.id}`, { token: null });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: replaced.id, status: 'failed', error: r.error });
    expect((await callJson('GET', '/api/v1/evaluations/no-such-run', { token: null })).status).toBe(404);
  });
});

describe('the hourly job', () => {
  it("fails runs still 'running' after EVALUATION_TIMEOUT_MINUTES with the reason, and leaves younger ones", async () => {
    const at = Date.now() + 10 * HOUR;
    const stuck = await seedRun(10, new Date(at - 2 * HOUR).toISOString());
    const young = await seedRun(10, new Date(at - 30 * 60_000).toISOString());
    await runScheduled(at, { EVALUATION_TIMEOUT_MINUTES: '60' });
    const s = await run(stuck.id);
    expect(s).toMatchObject({ status: 'failed', metrics: null, finishedAt: new Date(at).toISOString() });
    expect(s.error).toMatch(/still running after 60 minutes \(EVALUATION_TIMEOUT_MINUTES\).*dead-letter queue/);
    expect((await run(young.id)).status).toBe('running');
    // A consumer that comes back late finds the run failed and leaves it so.
    expect(await deliver([stuck])).toEqual({ acked: [stuck.id], retried: [] });
    expect((await run(stuck.id)).status).toBe('failed');
    // The young run is then scored normally.
    expect(await deliver([young])).toEqual({ acked: [young.id], retried: [] });
    expectScored(await run(young.id), young.rows);
  });
});
