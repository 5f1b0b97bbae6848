import { describe, expect, it } from 'vitest';
import { FilePath, ManifestDraft, MAX_JSON_DEPTH } from './manifest.ts';
import { MAX_VERSION } from './names.ts';

const sha = 'c'.repeat(64);
export const draft = {
  name: 'sentiment',
  labels: ['negative', 'positive'],
  files: [{ path: 'onnx/model.onnx', sha256: sha, bytes: 10 }],
  evaluation: {
    dataset: { name: 'val', sha256: sha, rows: 4 },
    accuracy: 0.75,
    macroF1: 0.73,
    macroRecall: 0.75,
    perClass: { negative: { precision: 1, recall: 0.5, f1: 0.667, support: 2 }, positive: { precision: 0.667, recall: 1, f1: 0.8, support: 2 } },
    confusion: [
      [1, 1],
      [0, 2],
    ],
  },
  training: { datasetSha256: sha, params: { epochs: 3 }, seed: 1, durationMs: 10, parent: null },
};

describe('ManifestDraft', () => {
  it('accepts a complete manifest', () => {
    expect(ManifestDraft.parse(draft).name).toBe('sentiment');
  });

  it('rejects a confusion matrix that does not match the labels', () => {
    const bad = { ...draft, evaluation: { ...draft.evaluation, confusion: [[1, 1, 0]] } };
    const r = ManifestDraft.safeParse(bad);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/2x2/);
  });

  it('rejects duplicate files and labels', () => {
    expect(ManifestDraft.safeParse({ ...draft, files: [draft.files[0], draft.files[0]] }).success).toBe(false);
    expect(ManifestDraft.safeParse({ ...draft, labels: ['a', 'a'] }).success).toBe(false);
  });

  it('rejects metrics outside [0, 1] and a bad sha256', () => {
    expect(ManifestDraft.safeParse({ ...draft, evaluation: { ...draft.evaluation, macroF1: 1.2 } }).success).toBe(false);
    expect(ManifestDraft.safeParse({ ...draft, files: [{ ...draft.files[0], sha256: 'xyz' }] }).success).toBe(false);
  });

  it('accepts a suite summary and stays valid without one (older versions)', () => {
    const suite = {
      sets: [{ set: 'uci/imdb', scoring: 'polar', rows: 996, accuracy: 0.84, macroF1: 0.84, recall: { negative: 0.8, positive: 0.88 }, ece: 0.05 }],
      evaluationOnlyMeanMacroF1: 0.8,
      worst: { set: 'finance/test (polar)', macroF1: 0.55 },
      checklist: { polarMftFailure: 0.55, negationFailure: { 'simple negations: negative': 0.4 }, neutralMftFailure: null, invFailure: 0.1, dirFailure: 0.2, sampled: null },
    };
    expect(ManifestDraft.parse({ ...draft, suite }).suite?.worst.macroF1).toBe(0.55);
    expect(ManifestDraft.parse(draft).suite).toBeUndefined();
    expect(ManifestDraft.safeParse({ ...draft, suite: { ...suite, evaluationOnlyMeanMacroF1: 1.5 } }).success).toBe(false);
    expect(ManifestDraft.safeParse({ ...draft, suite: { ...suite, sets: [{ ...suite.sets[0], scoring: 'two-way' }] } }).success).toBe(false);
  });

  it.each(['../x', '/abs', 'a/../b', 'a/./b', 'sp ace', '.', 'a//b', 'onnx/', 'a/b//'])('rejects the unsafe file path %j', (p) => {
    expect(FilePath.safeParse(p).success).toBe(false);
  });

  it.each(['config.json', 'onnx/model_quantized.onnx', 'README.md', '.gitattributes'])('accepts the file path %j', (p) => {
    expect(FilePath.safeParse(p).success).toBe(true);
  });

  it('refuses training params nested deeper than MAX_JSON_DEPTH (D1 refuses 1000 levels with a 500)', () => {
    const nest = (n: number): unknown => (n === 0 ? 1 : { a: nest(n - 1) });
    const deep = (n: number) => ({ ...draft, training: { ...draft.training, params: nest(n) as Record<string, unknown> } });
    expect(ManifestDraft.safeParse(deep(MAX_JSON_DEPTH - 1)).success).toBe(true);
    const r = ManifestDraft.safeParse(deep(1000));
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/nest at most/);
    const arrays = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(ManifestDraft.safeParse({ ...draft, training: { ...draft.training, params: { x: arrays } } }).success).toBe(false);
  });

  it('caps versions at MAX_VERSION (2^31 - 1)', () => {
    expect(ManifestDraft.safeParse({ ...draft, version: MAX_VERSION }).success).toBe(true);
    expect(ManifestDraft.safeParse({ ...draft, version: MAX_VERSION + 1 }).success).toBe(false);
    expect(ManifestDraft.safeParse({ ...draft, version: 2 ** 53 }).success).toBe(false);
    expect(ManifestDraft.safeParse({ ...draft, training: { ...draft.training, parent: { name: 'x', version: 2 ** 53 + 2 } } }).success).toBe(false);
  });

  it('keeps the training languages (and accepts records without them)', () => {
    const withLanguages = ManifestDraft.parse({ ...draft, training: { ...draft.training, languages: ['en', 'fr'] } });
    expect(withLanguages.training?.languages).toEqual(['en', 'fr']);
    expect(ManifestDraft.parse(draft).training?.languages).toBeUndefined();
    expect(ManifestDraft.safeParse({ ...draft, training: { ...draft.training, languages: [''] } }).success).toBe(false);
  });
});
