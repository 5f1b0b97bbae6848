import { describe, expect, it } from 'vitest';
import { DEFAULT_BIGRAM_PRIME, initWeights, predictProbs } from './model.ts';
import { loadDataset, subsetDataset } from './data.ts';
import { dataFile } from './paths.ts';
import { createTokenizer, encodeTexts } from './tokenizer.ts';
import { trainModel } from './train.ts';
import { createVectorFactor, refreshAll, refreshRow, stepRow } from './word-vector-factor.ts';
import type { WordVectors } from './word-vectors.ts';

const fakeVectors = (entries: Record<string, number[]>): WordVectors => ({
  dim: 3,
  words: Object.keys(entries),
  get: (w) => (entries[w] ? Float32Array.from(entries[w]) : undefined),
});

describe('word-vector factorisation', () => {
  const shape = { vocabSize: 4, buckets: 8, dim: 2, hidden: 0, numLabels: 2, bigramPrime: DEFAULT_BIGRAM_PRIME, poolPower: 1, attention: false };
  const wv = fakeVectors({ good: [1, 0, 2], fine: [1, 0, 1] });

  it('moves a row by −(lr + lrShared·|v|²)·grad, and similar words with it through P', () => {
    const w = initWeights(shape, 1);
    const before = w.embedding.slice();
    const f = createVectorFactor(w, ['[PAD]', 'good', 'fine', 'zzz'], wv, { keepDims: 0 });
    refreshAll(f, w);
    // A fresh factorised row is free (0) + v·P (0) = 0; the row without a vector is untouched.
    expect(Array.from(w.embedding.subarray(2, 6))).toEqual([0, 0, 0, 0]);
    expect(Array.from(w.embedding.subarray(6, 8))).toEqual(Array.from(before.subarray(6, 8)));
    const grad = [0.5, -1];
    expect(stepRow(f, 1, grad, 0.1, 0.01)).toBe(true);
    refreshRow(f, w, 1);
    refreshRow(f, w, 2);
    // |v_good|² = 5 → row 1 = −(0.1 + 0.05)·grad; row 2 = −(0.01·v_fine·v_good)·grad = −0.03·grad.
    expect(w.embedding[2]).toBeCloseTo(-0.075, 6);
    expect(w.embedding[3]).toBeCloseTo(0.15, 6);
    expect(w.embedding[4]).toBeCloseTo(-0.015, 6);
    expect(w.embedding[5]).toBeCloseTo(0.03, 6);
    expect(stepRow(f, 3, grad, 0.1, 0.01)).toBe(false);
  });

  it('keeps the first keepDims dimensions of the starting rows (the lexicon prior, or a warm start)', () => {
    const w = initWeights(shape, 2);
    const row1 = Array.from(w.embedding.subarray(2, 4));
    const f = createVectorFactor(w, ['[PAD]', 'good', 'fine', 'zzz'], wv, { keepDims: 1 });
    refreshAll(f, w);
    expect(w.embedding[2]).toBeCloseTo(row1[0]!, 7);
    expect(w.embedding[3]).toBe(0);
    const warm = createVectorFactor(w, ['[PAD]', 'good', 'fine', 'zzz'], wv, { keepDims: shape.dim });
    const copy = w.embedding.slice();
    refreshAll(warm, w);
    expect(Array.from(w.embedding)).toEqual(Array.from(copy));
  });

  it('with GloVe, words the training data never had still get their sentiment (SST-2 slice, no lexicon)', () => {
    const full = loadDataset(dataFile('sst2/train.csv'));
    const train = subsetDataset(full, Array.from({ length: 1500 }, (_, i) => i * 40));
    const seen = new Set(train.texts.flatMap((t) => t.split(' ')));
    const opts = { train, validation: subsetDataset(full, [1, 2, 3]), epochs: 5, lr: 0.2, dim: 8, buckets: 1 << 14, seed: 3 } as const;
    const withVectors = trainModel({ ...opts, wordVectors: true, wordVectorWords: 30_000, wordVectorLr: 0.05 });
    const without = trainModel(opts);
    // Candidates: the test keeps those the slice lacks but the 30k GloVe words added to the vocabulary have.
    const vocab = new Set(withVectors.vocab);
    const unseen = (words: string[]) => words.filter((w) => !seen.has(w) && vocab.has(w));
    const positive = unseen(['masterful', 'riveting', 'exhilarating', 'dazzling', 'superbly', 'beautifully', 'magnificent', 'splendid', 'wonderfully', 'terrific', 'brilliantly', 'gorgeous']);
    const negative = unseen(['incoherent', 'tiresome', 'dreary', 'clumsy', 'laughable', 'pointless', 'lifeless', 'mediocre', 'dismal', 'awful', 'lousy', 'sloppy']);
    expect(positive.length).toBeGreaterThanOrEqual(4);
    expect(negative.length).toBeGreaterThanOrEqual(4);
    const margin = (m: ReturnType<typeof trainModel>) => {
      const tok = createTokenizer(m.tokenizerJson, m.tokenizerConfig);
      const p = predictProbs(m.weights, encodeTexts(tok, [...positive, ...negative]));
      const pos = m.labels.indexOf('positive');
      const mean = (a: Float32Array[]) => a.reduce((s, x) => s + x[pos]!, 0) / a.length;
      return mean(p.slice(0, positive.length)) - mean(p.slice(positive.length));
    };
    // Without vectors all of them are [UNK]: no difference at all.
    expect(margin(without)).toBeCloseTo(0, 6);
    expect(margin(withVectors)).toBeGreaterThan(0.3);
    // Loading the GloVe vectors takes ≈ 5 s alone and several times that on a loaded shared machine.
  }, 120_000);
});
