// End to end on a real local Worker (wrangler dev, workerd, local D1/R2):
// - publish-model records its gate evaluations in the registry;
// - a 10,000-row CSV evaluated by the Worker equals `pnpm evaluate` on the same file and model within 1e-6;
// - feedback: predictions → corrections → export CSV → `pnpm train --data feedback.csv --from NAME@champion` → publish.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelledDelimited, RegistryClient, type EvaluationRun } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { publishModel } from '@sentiment-edge/training/publish';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { pnpm as runPnpm } from './src/run.ts';

const NAME = 'fbe2e';
const validation = join(DATA_DIR, 'sst2/validation.csv');
let worker: LocalWorker;
let client: RegistryClient;
let work: string;
let tenK: string;

beforeAll(async () => {
  worker = await startLocalWorker({ vars: { STORE_TEXT: 'true' } });
  client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
  work = mkdtempSync(join(tmpdir(), 'e2e-evals-'));
  // 10,000 labelled rows the tiny model was not trained on (it trains on the first 2,000 of sst2/train.csv).
  const lines = readFileSync(join(DATA_DIR, 'sst2/train.csv'), 'utf8').split('\n');
  tenK = join(work, 'tenk.csv');
  writeFileSync(tenK, [lines[0], ...lines.slice(20_001, 30_001)].join('\n') + '\n');
});

afterAll(async () => {
  await worker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const env = () => ({ ...process.env, REGISTRY_URL: worker.url, REGISTRY_TOKEN: worker.token });

const pnpm = (args: string[]) => runPnpm(args, env());

async function cliEvaluate(ref: string, data: string, dtype: 'fp32' | 'q8'): Promise<Record<string, any>> {
  const r = await pnpm(['--silent', 'evaluate', '--model', ref, '--data', data, '--dtype', dtype, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectWithin(run: EvaluationRun, cli: Record<string, any>) {
  const m = run.metrics!;
  expect(run.dataset).toEqual(cli.dataset);
  for (const k of ['accuracy', 'macroF1', 'macroRecall', 'ece'] as const) expect(Math.abs(m[k] - cli[k]), k).toBeLessThanOrEqual(1e-6);
  expect(m.confusion).toEqual(cli.confusion);
  for (const [label, c] of Object.entries<any>(cli.perClass)) {
    for (const k of ['precision', 'recall', 'f1'] as const) expect(Math.abs(m.perClass[label]![k] - c[k]), `${label}.${k}`).toBeLessThanOrEqual(1e-6);
    expect(m.perClass[label]!.support).toBe(c.support);
  }
}

describe('evaluation runs', () => {
  it('publish-model records its gate evaluations', async () => {
    const dir = buildTinyModel(join(work, 'small'), { rows: 2000, seed: 1 }).dir;
    const r = await publishModel({ client, dir, name: NAME, data: validation, policy: { floor: 0.3 } });
    expect(r.published?.version).toBe(1);
    expect(r.recorded).toHaveLength(1);
    const { evaluations } = await client.listEvaluations({ model: NAME, version: 1 });
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]).toMatchObject({ source: 'client', precision: 'fp32', status: 'succeeded', dataset: r.candidate.evaluation.dataset });
    expect(evaluations[0]!.metrics!.macroF1).toBe(r.candidate.evaluation.macroF1);
  });

  it('a 10,000-row CSV evaluated by the Worker equals pnpm evaluate within 1e-6 (int8 and fp32)', async () => {
    const csv = readFileSync(tenK);
    const t0 = performance.now();
    const int8 = await client.evaluateCsv(csv, { model: `${NAME}@champion`, dataset: 'tenk.csv' });
    const wall = performance.now() - t0;
    expect(int8.dataset.rows).toBe(10_000);
    // Over EVALUATION_INLINE_ROWS: the Worker answers 202 and scores it in its queue consumer; the client polls until it is done.
    console.log(`10k-row evaluation (int8, queued) in wrangler dev: ${wall.toFixed(0)} ms from upload to the finished run, ${int8.durationMs} ms scoring`);
    expectWithin(int8, await cliEvaluate(`${NAME}@champion`, tenK, 'q8'));
    const fp32 = await client.createEvaluation({ model: `${NAME}@1`, dataset: 'tenk.csv', precision: 'fp32' });
    expectWithin(fp32, await cliEvaluate(`${NAME}@1`, tenK, 'fp32'));
    // Same sha256: comparable side by side.
    const same = await client.listEvaluations({ dataset: int8.dataset.sha256 });
    expect(same.evaluations.map((e) => e.precision).sort()).toEqual(['fp32', 'int8']);
  });
});

describe('feedback → export → train --from → publish', () => {
  it('turns corrections into a training file for the next version', async () => {
    // Edge predictions (texts stored: STORE_TEXT is on for this Worker).
    const texts = ['a wonderful , moving film', 'dull and lifeless', 'the best thing i have seen all year', 'a tedious mess', 'sharp , funny and warm', 'painfully slow'];
    const predicted = await client.predictMany(texts, NAME);
    let rows: Awaited<ReturnType<RegistryClient['history']>>['items'] = [];
    for (let i = 0; i < 100 && rows.length < texts.length; i++) {
      rows = (await client.history({ model: NAME, source: 'edge', n: 50 })).items;
      if (rows.length < texts.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toHaveLength(texts.length);
    // The user flips every label (whatever the model said), then corrects one of them back.
    const flip = (l: string) => (l === 'positive' ? 'negative' : 'positive');
    const first = await client.sendFeedback(rows.map((r) => ({ predictionId: r.id, label: flip(r.label) })));
    expect(first).toEqual({ inserted: texts.length, updated: 0 });
    const again = await client.sendFeedback([{ predictionId: rows[0]!.id, label: rows[0]!.label }]);
    expect(again).toEqual({ inserted: 0, updated: 1 });
    expect(predicted.predictions).toHaveLength(texts.length);

    const csv = await client.exportFeedback({ model: NAME });
    const exported = parseLabelledDelimited(csv);
    const want = new Map(rows.map((r, i) => [r.text!, i === 0 ? r.label : flip(r.label)]));
    expect(new Map(exported.map((r) => [r.text, r.label]))).toEqual(want);

    const accuracy = await client.realisedAccuracy({ model: NAME });
    expect(accuracy.rows[0]).toMatchObject({ model: { name: NAME, version: 1 }, feedback: texts.length, correct: 1 });

    // The registry CLI writes the same export (train-publish.yml's "Export feedback" step).
    const feedbackCsv = join(work, 'feedback.csv');
    const ex = await pnpm(['--silent', 'registry', 'export-feedback', NAME, feedbackCsv]);
    expect(ex.status, ex.stderr).toBe(0);
    expect(ex.stdout).toContain(`${texts.length} corrections of ${NAME} written to ${feedbackCsv}`);
    expect(readFileSync(feedbackCsv, 'utf8')).toBe(csv);
    // Fine-tune the champion on the corrections (plus nothing else) and publish through the gate.
    const out = join(work, 'from-feedback');
    const tr = await pnpm(['train', '--data', feedbackCsv, '--from', `${NAME}@champion`, '--validation', validation, '--epochs', '1', '--out', out]);
    expect(tr.status, tr.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'training-meta.json'), 'utf8'));
    expect(meta.parent).toEqual({ name: NAME, version: 1 });
    const pub = await publishModel({ client, dir: out, name: NAME, data: validation, policy: { floor: 0.3 } });
    expect(pub.published?.version).toBe(2);
    expect(pub.published?.training?.parent).toEqual({ name: NAME, version: 1 });
    // Both gate evaluations (champion v1 and candidate v2) were recorded on the same file.
    const v2 = await client.listEvaluations({ model: NAME, version: 2 });
    expect(v2.evaluations[0]?.dataset.sha256).toBe(pub.candidate.evaluation.dataset.sha256);
  });
});
