import { describe, expect, it } from 'vitest';
import { DEFAULT_BIGRAM_PRIME, negatedRow, scopedUnigrams, type ModelShape } from './model.ts';
import { contrastFlags, intensityFlags } from './windows.ts';

const shape: ModelShape = {
  vocabSize: 20,
  buckets: 1000,
  dim: 2,
  hidden: 0,
  numLabels: 2,
  bigramPrime: DEFAULT_BIGRAM_PRIME,
  poolPower: 1,
  attention: false,
  negationScope: 3,
  negators: [10],
  breaks: [11, 3],
};

describe('negation scope', () => {
  const scoped = (ids: number[]) => {
    const out = new Int32Array(ids.length);
    scopedUnigrams(ids, shape, out);
    return Array.from(out, (v, i) => (v === ids[i] ? v : `¬${ids[i]}`));
  };

  it('marks up to `negationScope` tokens after a negator, not the negator itself', () => {
    // [CLS] not a b c d [SEP]
    expect(scoped([2, 10, 5, 6, 7, 8, 3])).toEqual([2, 10, '¬5', '¬6', '¬7', 8, 3]);
  });

  it('stops at a break (punctuation, "but") and never marks the break', () => {
    expect(scoped([2, 10, 5, 11, 6, 3])).toEqual([2, 10, '¬5', 11, 6, 3]);
  });

  it('a second negator opens a new scope', () => {
    expect(scoped([2, 10, 5, 6, 10, 7, 8, 9, 12, 3])).toEqual([2, 10, '¬5', '¬6', 10, '¬7', '¬8', '¬9', 12, 3]);
  });

  it('negated rows are hashed rows past the vocabulary, distinct from the word', () => {
    const r = negatedRow(5, shape);
    expect(r).toBeGreaterThanOrEqual(shape.vocabSize);
    expect(r).toBeLessThan(shape.vocabSize + shape.buckets);
  });

  it('is off without negationScope', () => {
    const out = new Int32Array(4);
    scopedUnigrams([2, 10, 5, 3], { ...shape, negationScope: 0 }, out);
    expect(Array.from(out)).toEqual([2, 10, 5, 3]);
  });
});

describe('contrast flags', () => {
  it('marks the window before a marker (unigrams, then bigrams by their second token), never the marker', () => {
    const s: ModelShape = { ...shape, attention: true, contrastWindow: 2, contrastMarkers: [12] };
    const ids = [2, 5, 6, 7, 12, 8, 3]; // [CLS] a b c but d [SEP]
    const out = new Uint8Array(2 * ids.length - 1);
    contrastFlags(ids, s, out);
    expect(Array.from(out.subarray(0, ids.length))).toEqual([0, 0, 1, 1, 0, 0, 0]);
    // bigrams (i, i+1) take token i+1's flag: (a b) (b c) marked; (c but) not.
    expect(Array.from(out.subarray(ids.length))).toEqual([0, 1, 1, 0, 0, 0]);
  });
});

describe('intensity flags', () => {
  it('marks the window after an intensifier (bit 1) or a reducer (bit 2), bigrams by their second token, never a marker', () => {
    const s: ModelShape = { ...shape, attention: true, intensityWindow: 2, intensifiers: [12], reducers: [13] };
    const ids = [2, 12, 5, 6, 7, 13, 12, 8, 3]; // [CLS] very a b c slightly very d [SEP]
    const out = new Uint8Array(2 * ids.length - 1);
    intensityFlags(ids, s, out);
    expect(Array.from(out.subarray(0, ids.length))).toEqual([0, 0, 1, 1, 0, 0, 0, 3, 1]);
    expect(Array.from(out.subarray(ids.length))).toEqual([0, 1, 1, 0, 0, 0, 3, 1]);
  });
});
