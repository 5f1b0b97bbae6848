import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassProbs } from './checklist.ts';
import { datasetFromRows } from './data.ts';
import { computeMetrics } from './metrics.ts';
import { readSuiteFromModelDir, runModelSuite, suiteRecord, writeSuiteToModelDir } from './model-suite.ts';
import { loadPredictor } from './predictor.ts';
import { classProbsMapper, scoreSet, SUITE_SETS, summarizeSets, type SetResult } from './suite.ts';
import { suiteText } from './suite-table.ts';
import { versionDraft } from './publish.ts';
import { buildTinyModel } from '../test/tiny.ts';
import { NEG, NEU, POS, writeSuiteFixtures } from './suite-fixtures.ts';
import { ManifestDraft } from '@sentiment-edge/registry';

const p = (negative: number, neutral: number, positive: number): ClassProbs => ({ negative, neutral, positive });

describe('scoreSet', () => {
  const spec = { id: 'x/test', evaluationOnly: false };
  const gold = ['negative', 'neutral', 'positive', 'positive'];
  // row 2 (positive) is argmax-neutral, but P(pos) > P(neg): right in the polar view, wrong 3-way
  const probs = [p(0.6, 0.3, 0.1), p(0.2, 0.5, 0.3), p(0.1, 0.6, 0.3), p(0.5, 0.1, 0.4)];

  it('scores polar rows on P(positive) vs P(negative), and 3-way for a 3-label model', () => {
    const [polar, three] = scoreSet(spec, gold, probs, true);
    expect(polar).toMatchObject({ scoring: 'polar', rows: 3, accuracy: 0.6667, recall: { negative: 1, positive: 0.5 } });
    // the neutral share counts polar rows whose argmax is neutral
    expect(polar!.neutralShare).toBe(0.3333);
    // ECE on renormalised probabilities: confidences 6/7 (right), 0.75 (right), 5/9 (wrong)
    const m = computeMetrics([0, 1, 1], [[6 / 7, 1 / 7], [0.25, 0.75], [5 / 9, 4 / 9]], ['negative', 'positive']);
    expect(polar!.ece).toBeCloseTo(m.ece, 4);
    expect(polar!.macroF1).toBeCloseTo(m.macroF1, 4);
    expect(three).toMatchObject({ scoring: '3-way', rows: 4, accuracy: 0.5, recall: { negative: 1, neutral: 1, positive: 0 } });
  });

  it('gives a 2-label model only the polar entry', () => {
    const two = probs.map((x) => p(x.negative / (x.negative + x.positive), 0, x.positive / (x.negative + x.positive)));
    const r = scoreSet(spec, gold, two, false);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ scoring: 'polar', accuracy: 0.6667, neutralShare: null });
  });

  it('rejects unknown gold labels and a length mismatch', () => {
    expect(() => scoreSet(spec, ['good'], [p(0.5, 0, 0.5)], false)).toThrow(/row 1: label "good"/);
    expect(() => scoreSet(spec, gold, probs.slice(1), false)).toThrow(/4 gold labels but 3/);
  });
});

describe('summarizeSets and labels', () => {
  const r = (set: string, evaluationOnly: boolean, macroF1: number, scoring: 'polar' | '3-way' = 'polar'): SetResult => ({
    set,
    scoring,
    evaluationOnly,
    rows: 10,
    accuracy: macroF1,
    macroF1,
    macroRecall: macroF1,
    recall: {},
    ece: 0,
    neutralShare: null,
    sha256: '',
  });

  it('averages the evaluation-only polar entries and finds the worst polar entry', () => {
    const s = summarizeSets([r('a', false, 0.9), r('a', false, 0.3, '3-way'), r('b', false, 0.6), r('u1', true, 0.8), r('u2', true, 0.7)]);
    expect(s.evaluationOnlyMean).toEqual({ accuracy: 0.75, macroF1: 0.75, sets: ['u1', 'u2'] });
    expect(s.worst).toMatchObject({ set: 'b', scoring: 'polar', macroF1: 0.6 });
  });

  it('maps negative/neutral/positive in any order and refuses other label sets', () => {
    expect(classProbsMapper(['positive', 'negative'])([0.7, 0.3])).toEqual({ negative: 0.3, neutral: 0, positive: 0.7 });
    expect(classProbsMapper(['negative', 'neutral', 'positive'])([0.2, 0.5, 0.3])).toEqual({ negative: 0.2, neutral: 0.5, positive: 0.3 });
    expect(() => classProbsMapper(['spam', 'ham'])).toThrow(/negative, positive and optionally neutral/);
  });
});

// End to end: a real tiny ONNX model, scored through ONNX Runtime on small fixture files made here.
describe('runModelSuite on a tiny model', () => {
  let root: string;
  let modelDir: string;
  let dataDir: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'suite-'));
    const rows = Array.from({ length: 8 }, () => [...POS.map((t) => [t, 'positive']), ...NEG.map((t) => [t, 'negative'])]).flat();
    const labelSet = ['negative', 'positive'];
    const train = datasetFromRows('fixture', rows as [string, string][], labelSet);
    modelDir = join(root, 'model');
    buildTinyModel(modelDir, { train, validation: train, seed: 3, epochs: 3, lexicon: false });
    dataDir = join(root, 'data');
    writeSuiteFixtures(dataDir);
  }, 60_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('scores every set and CheckList through ONNX Runtime, matching per-row predictions, and writes the model card and metrics.json', async () => {
    const r = await runModelSuite(modelDir, { dataDir });
    expect(r.threeWay).toBe(false);
    expect(r.sets.map((s) => s.set)).toEqual(SUITE_SETS.map((s) => s.id));
    expect(r.sets.every((s) => s.scoring === 'polar' && s.rows === 12)).toBe(true);

    // The same numbers, computed independently from the predictor's per-row probabilities.
    const predictor = await loadPredictor(modelDir);
    try {
      const texts = [...POS, ...NEG];
      const probs = await predictor.probabilities(texts);
      const m = computeMetrics(Int32Array.from(texts, (_, i) => (i < POS.length ? 1 : 0)), probs, predictor.labels);
      const uci = r.sets.find((s) => s.set === 'uci/imdb')!;
      expect(uci.accuracy).toBeCloseTo(m.accuracy, 4);
      expect(uci.macroF1).toBeCloseTo(m.macroF1, 4);
      expect(uci.ece).toBeCloseTo(m.ece, 4);
      const wrongWords = (await predictor.predict(texts)).filter((x, i) => x.label !== (i < POS.length ? 'positive' : 'negative')).length;
      const words = r.checklist!.tests.find((t) => t.test === 'words')!;
      expect(words.failed).toBe(wrongWords);
      const notNeg = (await predictor.predict(['not bad', 'never boring'])).filter((x) => x.label === 'negative').length;
      expect(r.checklist!.negation['not negative']).toBe(notNeg / 2);
    } finally {
      await predictor.close();
    }
    expect(r.checklist!.neutralMft).toBeNull();
    expect(r.checklist!.tests.find((t) => t.test === 'typos')!.cases).toBe(2);
    expect(r.summary.evaluationOnlyMean.sets).toEqual(['uci/amazon', 'uci/imdb', 'uci/yelp', 'sentiment140/test']);
    expect(suiteText(r)).toMatch(/mean of evaluation-only/);

    // The model carries it: metrics.json and one model-card section, even when written twice.
    writeSuiteToModelDir(modelDir, r);
    writeSuiteToModelDir(modelDir, r);
    expect(readSuiteFromModelDir(modelDir)?.summary).toEqual(r.summary);
    const card = readFileSync(join(modelDir, 'README.md'), 'utf8');
    expect(card.match(/## Evaluation suite/g)).toHaveLength(1);
    expect(card).toMatch(/\| uci\/imdb polar \* \| 12 \|/);
    expect(card).toMatch(/^# tiny sentiment-edge test model/);

    // The registry accepts its summary.
    const record = suiteRecord(r);
    const draft = ManifestDraft.parse({
      name: 'tiny',
      labels: r.labels,
      files: [{ path: 'onnx/model.onnx', sha256: 'a'.repeat(64), bytes: 1 }],
      evaluation: { dataset: { name: 'x', sha256: 'a'.repeat(64), rows: 1 }, accuracy: 1, macroF1: 1, macroRecall: 1, perClass: {}, confusion: [[1, 0], [0, 0]] },
      training: null,
      suite: record,
    });
    expect(draft.suite?.sets).toHaveLength(SUITE_SETS.length);
    // …and publishing sends it (versionDraft is what publish uploads as the manifest draft).
    const sent = await versionDraft(modelDir, 'tiny', { data: join(dataDir, 'uci/imdb.csv') });
    expect(sent.draft.suite).toEqual(record);
    // …with the reference profile of the same evaluation, for the Worker's drift job.
    expect(sent.draft.profile?.rows).toBe(sent.draft.evaluation.dataset.rows);
  }, 60_000);

  it('scores a 3-label model 3-way on the 3-class sets and counts the neutral CheckList tests', async () => {
    const rows = Array.from({ length: 8 }, () => [...POS.map((t) => [t, 'positive']), ...NEG.map((t) => [t, 'negative']), ...NEU.map((t) => [t, 'neutral'])]).flat();
    const labelSet = ['negative', 'neutral', 'positive'];
    const train = datasetFromRows('fixture3', rows as [string, string][], labelSet);
    const dir = join(root, 'model3');
    buildTinyModel(dir, { train, validation: train, seed: 3, epochs: 3, lexicon: false });
    const r = await runModelSuite(dir, { dataDir, dtype: 'q8' });
    expect(r.threeWay).toBe(true);
    const three = r.sets.filter((s) => s.scoring === '3-way').map((s) => s.set);
    expect(three).toEqual(['tweeteval/val', 'airline/test', 'finance/test', 'goemotions/test', 'sentiment140/test']);
    expect(r.sets.find((s) => s.set === 'airline/test' && s.scoring === '3-way')).toMatchObject({ rows: 14 });
    expect(Object.keys(r.sets.find((s) => s.scoring === '3-way')!.recall)).toEqual(['negative', 'neutral', 'positive']);
    expect(r.sets.find((s) => s.set === 'airline/test' && s.scoring === 'polar')).toMatchObject({ rows: 12 });
    expect(r.checklist!.neutralMft).toMatchObject({ cases: 1 });
    expect(r.checklist!.tests.find((t) => t.test === 'neutral words')).toMatchObject({ counted: true, cases: 1 });
  }, 60_000);

  it('names a missing set file', async () => {
    await expect(runModelSuite(modelDir, { dataDir: join(root, 'nowhere') })).rejects.toThrow(/nowhere\/sst2\/validation\.csv is missing/);
  });
});
