// Evaluation runs through the real Worker entry point, on local D1/R2 with the real tiny model: the
// stored metrics must equal the registry's computeMetrics over onnxruntime-node's probabilities (what
// `pnpm evaluate` computes; test/evaluations-feedback.test.ts compares with the CLI itself).
import { computeMetrics, MAX_EVALUATION_BYTES, type EvaluationRun } from '@sentiment-edge/registry';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, publish, tinyModel, uniqueName } from '../../test/helpers.ts';
import { FIXTURE_TEXTS } from '../../test/tiny-model.ts';

const model = tinyModel(7);
const NAME = uniqueName('eval');
let version: number;

/** A plausible gold label per fixture text (some deliberately wrong, so that every metric is below 1). */
const GOLD: Record<(typeof FIXTURE_TEXTS)[number], string> = {
  'good movie': 'positive',
  'an awful, boring film!': 'negative',
  'The film was not good.': 'negative',
  'great fun': 'positive',
  'zzz unknown words only': 'positive',
  'awful boring film': 'negative',
  'the film was not fun': 'positive',
  great: 'positive',
  good: 'negative',
  'bad film': 'negative',
};

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
function csvOf(rows: readonly (readonly [string, string])[]): string {
  return `text,label\n${rows.map(([t, l]) => `${csvField(t)},${l}`).join('\n')}\n`;
}
/** `n` rows cycling through the fixture texts. */
const fixtureRows = (n: number) => Array.from({ length: n }, (_, i) => FIXTURE_TEXTS[i % FIXTURE_TEXTS.length]!).map((t) => [t, GOLD[t]] as const);

/** The reference: the registry's metrics over onnxruntime-node's probabilities for the same rows. */
function reference(rows: readonly (readonly [string, string])[], precision: 'int8' | 'fp32') {
  const gold = Int32Array.from(rows, ([, l]) => model.labels.indexOf(l));
  return computeMetrics(gold, rows.map(([t]) => Float32Array.from(model.expected(t as (typeof FIXTURE_TEXTS)[number], precision))), model.labels);
}

function expectSameMetrics(run: EvaluationRun, ref: ReturnType<typeof reference>) {
  const m = run.metrics!;
  expect(m).not.toBeNull();
  for (const k of ['accuracy', 'macroF1', 'macroRecall', 'ece'] as const) expect(Math.abs(m[k] - ref[k]), k).toBeLessThanOrEqual(1e-6);
  expect(m.confusion).toEqual(ref.confusion);
  for (const l of model.labels) {
    for (const k of ['precision', 'recall', 'f1'] as const) expect(Math.abs(m.perClass[l]![k] - ref.perClass[l]![k]), `${l}.${k}`).toBeLessThanOrEqual(1e-6);
    expect(m.perClass[l]!.support).toBe(ref.perClass[l]!.support);
  }
}

/** A queued run (202), polled through GET /api/v1/evaluations/{id} until its consumer finished it. */
async function settled(posted: { status: number; body: any; res: Response }): Promise<EvaluationRun> {
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  expect(posted.body.status).toBe('running');
  expect(posted.res.headers.get('location')).toBe(`/api/v1/evaluations/${posted.body.id}`);
  for (;;) {
    const r = await callJson<EvaluationRun>('GET', `/api/v1/evaluations/${posted.body.id}`, { token: null });
    expect(r.status).toBe(200);
    if (r.body.status !== 'running') return r.body;
    await scheduler.wait(100);
  }
}

const upload = (csv: string, query: string, token?: string | null) =>
  callJson<any>('POST', `/api/v1/evaluations?${query}`, { body: csv, headers: { 'content-type': 'text/csv' }, ...(token !== undefined ? { token } : {}) });

beforeAll(async () => {
  version = await publish(NAME, { files: model.files });
  const r = await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version } });
  expect(r.status).toBe(200);
});

describe('POST /api/v1/evaluations', () => {
  it('scores an uploaded CSV like the Node evaluator and stores it per version', async () => {
    const rows = fixtureRows(10);
    const csv = csvOf(rows);
    const r = await upload(csv, `model=${NAME}@champion&dataset=fixture.csv`);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const run = r.body as EvaluationRun;
    expect(run).toMatchObject({ model: { name: NAME, version }, precision: 'int8', source: 'upload', status: 'succeeded', labels: model.labels, dataset: { name: 'fixture.csv', rows: 10 } });
    const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(csv)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(run.dataset.sha256).toBe(sha);
    const ref = reference(rows, 'int8');
    expect(ref.accuracy).toBeLessThan(1); // the gold labels above disagree with the model somewhere
    expectSameMetrics(run, ref);
  });

  it('queues 10,000 rows (202), scores them in the queue consumer and equals the reference within 1e-6 (int8 and fp32)', async () => {
    const rows = fixtureRows(10_000);
    const csv = csvOf(rows);
    const posted = await upload(csv, `model=${NAME}@${version}&dataset=tenk.csv`);
    // Over EVALUATION_INLINE_ROWS: answered at once with the 'running' row, its rows counted and its labels known.
    expect(posted.body).toMatchObject({ status: 'running', metrics: null, finishedAt: null, dataset: { name: 'tenk.csv', rows: 10_000 }, labels: model.labels });
    const int8 = await settled(posted);
    expect(int8).toMatchObject({ id: posted.body.id, status: 'succeeded', source: 'upload', error: null, dataset: { rows: 10_000 } });
    expectSameMetrics(int8, reference(rows, 'int8'));
    console.log(`10k-row evaluation in workerd (queue consumer): ${int8.durationMs} ms scoring (int8)`);
    // The stored dataset, by name, in fp32: also queued.
    const fp32 = await settled(await callJson<any>('POST', '/api/v1/evaluations', { body: { model: `${NAME}@${version}`, dataset: 'tenk.csv', precision: 'fp32' } }));
    expect(fp32).toMatchObject({ source: 'r2', precision: 'fp32', status: 'succeeded', dataset: { name: 'tenk.csv', sha256: int8.dataset.sha256, rows: 10_000 } });
    expectSameMetrics(fp32, reference(rows, 'fp32'));
    // Both runs share the dataset sha256: listed side by side.
    const list = await callJson<any>('GET', `/api/v1/evaluations?model=${NAME}&dataset=${int8.dataset.sha256}`, { token: null });
    expect(list.status).toBe(200);
    expect(list.body.evaluations.map((e: EvaluationRun) => e.id).sort()).toEqual([int8.id, fp32.id].sort());
    // The inline path is unchanged at the threshold: 2,000 rows are scored in the request (201).
    const inline = await upload(csvOf(fixtureRows(2_000)), `model=${NAME}@${version}&dataset=twok.csv`);
    expect(inline.status, JSON.stringify(inline.body)).toBe(201);
    expect(inline.body.status).toBe('succeeded');
    expectSameMetrics(inline.body, reference(fixtureRows(2_000), 'int8'));
  });

  it('keeps /live and /predict answering while a 30,000-row evaluation is queued and scored', async () => {
    const csv = csvOf(fixtureRows(30_000));
    const started = performance.now();
    const posted = await upload(csv, `model=${NAME}@${version}&dataset=yield.csv`);
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const answeredIn = performance.now() - started;
    let done = false;
    const run = settled(posted).finally(() => (done = true));
    const during: number[] = [];
    for (let i = 0; !done; i++) {
      const t = performance.now();
      const r = i % 2 ? await call('GET', '/live', { token: null }) : await call('POST', '/api/v1/predict', { body: { text: 'good movie', model: NAME }, token: null });
      expect(r.status).toBe(200);
      if (!done) during.push(performance.now() - t);
    }
    const total = performance.now() - started;
    expect((await run).status).toBe('succeeded');
    console.log(`30k-row evaluation: POST answered (202) in ${answeredIn.toFixed(0)} ms, finished by the consumer after ${total.toFixed(0)} ms; ${during.length} requests answered meanwhile, slowest ${Math.max(...during).toFixed(0)} ms`);
    // The consumer yields between batches: without that, the first request would wait for the whole run and
    // at most one would be answered before it finished (counted, never timed: no timing assertion in tests).
    expect(during.length).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('lists by model, version and dataset name', async () => {
    const other = await publish(NAME, { files: tinyModel(99).files });
    const r = await upload(csvOf(fixtureRows(20)), `model=${NAME}@${other}&dataset=fixture.csv`);
    expect(r.status).toBe(201);
    const byVersion = await callJson<any>('GET', `/api/v1/evaluations?model=${NAME}&version=${other}`, { token: null });
    expect(byVersion.body.evaluations.map((e: EvaluationRun) => e.id)).toEqual([r.body.id]);
    const byName = await callJson<any>('GET', `/api/v1/evaluations?model=${NAME}&dataset=fixture.csv`, { token: null });
    expect(new Set(byName.body.evaluations.map((e: EvaluationRun) => e.model.version))).toEqual(new Set([version, other]));
    const bad = await callJson<any>('GET', `/api/v1/evaluations?version=abc`, { token: null });
    expect(bad.status).toBe(400);
  });

  it('records a result computed elsewhere (publish-model) against NAME@VERSION', async () => {
    const rows = fixtureRows(10);
    const ref = reference(rows, 'fp32');
    const result = { dataset: { name: 'gate.csv', sha256: 'b'.repeat(64), rows: 10 }, accuracy: ref.accuracy, macroF1: ref.macroF1, macroRecall: ref.macroRecall, ece: ref.ece, perClass: ref.perClass, confusion: ref.confusion };
    const r = await callJson<any>('POST', '/api/v1/evaluations', { body: { model: `${NAME}@${version}`, result, note: 'gate' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ source: 'client', precision: 'fp32', status: 'succeeded', note: 'gate', dataset: result.dataset });
    expectSameMetrics(r.body, ref);
    const alias = await callJson<any>('POST', '/api/v1/evaluations', { body: { model: `${NAME}@champion`, result } });
    expect(alias.status).toBe(400);
    expect(alias.body.error.message).toMatch(/names its version/);
    const wrongShape = await callJson<any>('POST', '/api/v1/evaluations', { body: { model: `${NAME}@${version}`, result: { ...result, confusion: [[1]] } } });
    expect(wrongShape.status).toBe(400);
  });
});

describe('POST /api/v1/evaluations refuses bad input with a clear 4xx', () => {
  it('needs the registry token', async () => {
    expect((await upload(csvOf(fixtureRows(2)), `model=${NAME}`, null)).status).toBe(401);
    expect((await upload(csvOf(fixtureRows(2)), `model=${NAME}`, 'wrong-token-0123456789')).status).toBe(403);
  });

  it('400 for CSV without the columns, with a broken quote, or without rows', async () => {
    const noLabel = await upload('text,sentiment\ngood,positive\n', `model=${NAME}`);
    expect(noLabel.status).toBe(400);
    expect(noLabel.body.error.message).toMatch(/label column "label" not found; available columns: "text", "sentiment"/);
    const quote = await upload('text,label\n"good,positive\n', `model=${NAME}`);
    expect(quote.status).toBe(400);
    expect(quote.body.error.message).toMatch(/not valid CSV/);
    const empty = await upload('text,label\n', `model=${NAME}`);
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/no data rows/);
    const notUtf8 = await callJson<any>('POST', `/api/v1/evaluations?model=${NAME}`, { body: new Uint8Array([0x74, 0x65, 0x78, 0x74, 0xff, 0xfe]), headers: { 'content-type': 'text/csv' } });
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.error.message).toMatch(/UTF-8/);
  });

  it('400 naming the line of a label the model does not have', async () => {
    const r = await upload('text,label\ngood,positive\nmeh,neutral\n', `model=${NAME}&dataset=refused.csv`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/line 3: unknown label "neutral" \(expected one of: negative, positive\)/);
    expect(r.body.error.details).toMatchObject({ line: 3, labels: model.labels });
    // Nothing was stored for a refused file.
    const list = await callJson<any>('GET', `/api/v1/evaluations?model=${NAME}&dataset=refused.csv`, { token: null });
    expect(list.body.evaluations).toEqual([]);
    // Past the first parsed piece, with a quoted line break before it: still the file's own line number.
    const rows: [string, string][] = fixtureRows(9000).map(([t, l]) => [t, l]);
    rows[10] = ['two\nlines, "quoted"', 'positive'];
    rows[8500] = ['meh', 'neutral'];
    const far = await upload(csvOf(rows), `model=${NAME}&dataset=refused.csv`);
    expect(far.status).toBe(400);
    expect(far.body.error.details).toMatchObject({ line: 8503 });
    expect(far.body.error.message).toMatch(/line 8503: unknown label "neutral"/);
  });

  it('404 for an unknown model, version, alias or stored dataset', async () => {
    expect((await upload(csvOf(fixtureRows(2)), 'model=no-such-model')).status).toBe(404);
    expect((await upload(csvOf(fixtureRows(2)), `model=${NAME}@999`)).status).toBe(404);
    expect((await upload(csvOf(fixtureRows(2)), `model=${NAME}@nosuchalias`)).status).toBe(404);
    const ds = await callJson<any>('POST', '/api/v1/evaluations', { body: { model: NAME, dataset: 'never-uploaded.csv' } });
    expect(ds.status).toBe(404);
    expect(ds.body.error.message).toMatch(/upload it once/);
  });

  it('413 for an upload over the limit, 415 for other content types, 400 for a bad query or body', async () => {
    const big = `text,label\n${'x'.repeat(MAX_EVALUATION_BYTES)},positive\n`;
    const r = await upload(big, `model=${NAME}`);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
    const form = await callJson<any>('POST', `/api/v1/evaluations?model=${NAME}`, { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await upload(csvOf(fixtureRows(2)), 'dataset=x.csv')).status).toBe(400); // no model
    expect((await upload(csvOf(fixtureRows(2)), `model=${NAME}&dataset=../etc/passwd`)).status).toBe(400);
    const both = await callJson<any>('POST', '/api/v1/evaluations', { body: { model: NAME } });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/exactly one of "dataset"/);
  });
});

it('is in /openapi.json', async () => {
  const doc = (await (await call('GET', '/openapi.json', { token: null })).json()) as any;
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/evaluations', '/api/v1/evaluations/{id}', '/api/v1/feedback', '/api/v1/feedback/export', '/api/v1/feedback/accuracy']));
  expect(Object.keys(doc.paths['/api/v1/evaluations'].post.responses)).toEqual(expect.arrayContaining(['201', '202']));
  expect(doc.paths['/api/v1/evaluations/{id}'].get.security).toBeUndefined();
  expect(doc.paths['/api/v1/evaluations'].post.requestBody.content).toHaveProperty('text/csv');
  expect(doc.paths['/api/v1/evaluations'].post.security).toEqual([{ bearerAuth: [] }]);
  expect(doc.paths['/api/v1/evaluations'].get.security).toBeUndefined();
  expect(doc.paths['/api/v1/feedback/export'].get.security).toEqual([{ bearerAuth: [] }]);
  expect(doc.paths['/api/v1/feedback'].post.requestBody.content).toHaveProperty('application/json');
});
