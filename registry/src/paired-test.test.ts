import { describe, expect, it } from 'vitest';
import { exactBinomialTwoSided, mcnemar, pairedBootstrap } from './paired-test.ts';

describe('exactBinomialTwoSided', () => {
  it('matches hand-computed binomial tails', () => {
    // n=5, k=0: 2 * (1/32) = 0.0625
    expect(exactBinomialTwoSided(0, 5)).toBeCloseTo(0.0625, 12);
    // n=10, k=2: 2 * (1 + 10 + 45) / 1024 = 0.109375
    expect(exactBinomialTwoSided(2, 10)).toBeCloseTo(0.109375, 12);
    expect(exactBinomialTwoSided(5, 10)).toBe(1);
    expect(exactBinomialTwoSided(0, 0)).toBe(1);
  });

  it('stays finite for thousands of discordant pairs', () => {
    const p = exactBinomialTwoSided(400, 1000);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-9);
  });
});

describe('mcnemar', () => {
  it('counts discordant pairs', () => {
    const r = mcnemar([1, 1, 0, 0, 1], [1, 0, 1, 0, 0]);
    expect(r).toMatchObject({ candidateOnly: 2, baselineOnly: 1 });
    expect(r.pValue).toBe(1);
  });

  it('refuses unpaired inputs', () => {
    expect(() => mcnemar([1, 0], [1])).toThrow(/same rows/);
  });
});

describe('pairedBootstrap', () => {
  it('is deterministic for a seed and brackets the observed delta', () => {
    const a = Array.from({ length: 200 }, (_, i) => i % 10 !== 0);
    const b = Array.from({ length: 200 }, (_, i) => i % 5 !== 0);
    const r1 = pairedBootstrap(a, b, { samples: 500, seed: 7 });
    const r2 = pairedBootstrap(a, b, { samples: 500, seed: 7 });
    expect(r1).toEqual(r2);
    expect(r1.delta).toBeCloseTo(0.1, 12);
    expect(r1.low).toBeLessThanOrEqual(r1.delta);
    expect(r1.high).toBeGreaterThanOrEqual(r1.delta);
    expect(r1.pValue).toBeLessThan(0.01);
  });

  it('gives p near 1 when the candidate is never better', () => {
    const same = Array.from({ length: 50 }, (_, i) => i % 2 === 0);
    expect(pairedBootstrap(same, same, { samples: 200 }).pValue).toBeGreaterThan(0.99);
  });
});
