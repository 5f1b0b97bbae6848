import { describe, expect, it } from 'vitest';
import { labelMixDifference, labelShares, nearestRankIndex, newcombeDifference, wilsonInterval } from './ab.ts';

describe('A/B statistics', () => {
  it('Newcombe’s hybrid score interval matches his published examples (Newcombe 1998, method 10)', () => {
    // 56/70 − 48/80: 0.2000, 95 % CI 0.0524 to 0.3339.
    const a = newcombeDifference(56, 70, 48, 80)!;
    expect(a.difference).toBeCloseTo(0.2, 12);
    expect(a.low).toBeCloseTo(0.0524, 4);
    expect(a.high).toBeCloseTo(0.3339, 4);
    // 5/56 − 0/29: 0.0893, −0.0381 to 0.1926 (the Wald interval would give 0.0146 to 0.1640 here).
    const d = newcombeDifference(5, 56, 0, 29)!;
    expect(d.low).toBeCloseTo(-0.0381, 4);
    expect(d.high).toBeCloseTo(0.1926, 4);
    expect(newcombeDifference(1, 0, 1, 2)).toBeNull();
  });

  it('Wilson interval (81/263: 0.2553 to 0.3662) and its ends at 0/n and n/n', () => {
    const w = wilsonInterval(81, 263)!;
    expect(w.low).toBeCloseTo(0.2553, 4);
    expect(w.high).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10)!.low).toBeCloseTo(0, 12);
    expect(wilsonInterval(10, 10)!.high).toBeCloseTo(1, 12);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('nearest-rank quantiles and label mixes', () => {
    expect(nearestRankIndex(10, 0.5)).toBe(4);
    expect(nearestRankIndex(10, 0.95)).toBe(9);
    expect(nearestRankIndex(1, 0.5)).toBe(0);
    expect(nearestRankIndex(20, 0.95)).toBe(18);
    expect(labelShares({ positive: 3, negative: 1 })).toEqual({ positive: 0.75, negative: 0.25 });
    expect(labelShares({})).toEqual({});
    const d = labelMixDifference({ positive: 0.75, negative: 0.25 }, { positive: 0.5, negative: 0.4, neutral: 0.1 });
    expect(d.perLabel.positive).toBeCloseTo(-0.25, 12);
    expect(d.perLabel.negative).toBeCloseTo(0.15, 12);
    expect(d.perLabel.neutral).toBeCloseTo(0.1, 12);
    expect(d.totalVariation).toBeCloseTo(0.25, 12);
  });
});
