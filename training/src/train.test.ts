import { describe, expect, it } from 'vitest';
import { loadDataset, subsetDataset } from './data.ts';
import { dataFile } from './paths.ts';
import { trainTinyModel } from '../test/tiny.ts';
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
