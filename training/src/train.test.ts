import { describe, expect, it } from 'vitest';
import { datasetFromRows, loadDataset, subsetDataset } from './data.ts';
import { predictProbs } from './model.ts';
import { dataFile } from './paths.ts';
import { createRng } from './rng.ts';
import { createTokenizer, encodeTexts } from './tokenizer.ts';
import { trainTinyModel } from './tiny.ts';
import { trainModel } from './train.ts';

describe('trainModel', () => {
  it('learns well above chance from 3k SST-2 rows (accuracy on sst2/validation)', () => {
    const m = trainTinyModel({ rows: 3000, epochs: 5, seed: 1 });
    expect(m.validation.rows).toBe(872);
    expect(m.validation.accuracy).toBeGreaterThan(0.7);
    expect(m.history.length).toBeGreaterThan(0);
    expect(m.labels).toEqual(['negative', 'positive']);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const full = loadDataset(dataFile('sst2/train.csv'));
    const train = subsetDataset(full, Array.from({ length: 800 }, (_, i) => i * 50));
    const opts = { train, validation: subsetDataset(full, Array.from({ length: 200 }, (_, i) => i * 50 + 1)), epochs: 2, tokenDropout: 0.2 } as const;
    const a = trainTinyModel({ ...opts, seed: 5 });
    const b = trainTinyModel({ ...opts, seed: 5 });
    const c = trainTinyModel({ ...opts, seed: 6 });
    expect(Buffer.from(a.weights.embedding.buffer).equals(Buffer.from(b.weights.embedding.buffer))).toBe(true);
    expect(Array.from(a.weights.w2)).toEqual(Array.from(b.weights.w2));
    expect(a.vocab).toEqual(b.vocab);
    expect(Buffer.from(a.weights.embedding.buffer).equals(Buffer.from(c.weights.embedding.buffer))).toBe(false);
  });

  it('uses a stratified 70/15/15 split when no validation set is given, and supports a hidden layer and attention', () => {
    const full = loadDataset(dataFile('sst2/train.csv'));
    const idx = Array.from({ length: 1000 }, (_, i) => i * 7);
    const train = subsetDataset(full, idx);
    const m = trainModel({ train, epochs: 2, buckets: 4096, hidden: 8, attention: true, seed: 3 });
    expect(Math.abs(m.validation.rows - 150)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.test!.texts.length - 150)).toBeLessThanOrEqual(1);
    expect(m.weights.importance.length).toBe(m.weights.shape.vocabSize + 4096);
  });
});

describe('sourceBias', () => {
  // Two sources with opposite label mixes; the topic words ("plane", "meal") say nothing about the label within
  // a source, the sentiment words do.
  const rowsOf = (topics: string[], negShare: number, n: number, seed: number): [string, string][] => {
    const rng = createRng(seed);
    return Array.from({ length: n }, () => {
      const neg = rng() < negShare;
      const topic = topics[Math.floor(rng() * topics.length)]!;
      const word = neg ? (rng() < 0.5 ? 'bad' : 'awful') : rng() < 0.5 ? 'good' : 'great';
      return [`the ${topic} was ${word}`, neg ? 'negative' : 'positive'];
    });
  };
  const air = rowsOf(['plane', 'flight'], 0.85, 600, 1);
  const food = rowsOf(['meal', 'dish'], 0.15, 600, 2);
  const labels = ['negative', 'positive'];
  const train = datasetFromRows('two sources', [...air, ...food], labels);
  const validation = datasetFromRows('held out', [...rowsOf(['plane'], 0.85, 50, 3), ...rowsOf(['meal'], 0.15, 50, 4)], labels);
  const rowSources = Int32Array.from(train.texts, (_, i) => (i < air.length ? 0 : 1));
  const topicLean = (sourceBias: boolean): number => {
    const m = trainModel({ train, validation, rowSources, sourceBias, epochs: 6, buckets: 1024, dim: 4, attention: true, seed: 1 });
    const tok = createTokenizer(m.tokenizerJson, m.tokenizerConfig);
    const [plane, meal] = predictProbs(m.weights, encodeTexts(tok, ['the plane', 'the meal']));
    // How far the two topics alone pull apart: P(positive | meal) − P(positive | plane).
    return meal![1]! - plane![1]!;
  };

  it('learns each source\'s label mix in its own offset, so topic words stay near-neutral', () => {
    const without = topicLean(false);
    const withBias = topicLean(true);
    expect(without).toBeGreaterThan(0.3);
    expect(Math.abs(withBias)).toBeLessThan(without / 2);
  });

  it('needs one source per training row', () => {
    expect(() => trainModel({ train, validation, rowSources: rowSources.subarray(1), sourceBias: true, epochs: 1 })).toThrow(/rowSources/);
  });
});
