// Drift statistics against values computed with scipy 1.17 (the calls are in each test's comment).
import { describe, expect, it } from 'vitest';
import { binned, buildProfile, checkDrift, isSkipped, windowCounts, chiSquared, chiSquaredSurvival, estimateAccuracy, kolmogorovSurvival, ksBinned, psi, PROFILE_BOUNDS, ReferenceProfile, tokenStats, type ProfileRow } from './drift.ts';

describe('psi', () => {
  it('is Σ (c − r) ln(c / r) over the shares', () => {
    // ref 25/25/50 %, cur 50/25/25 %: 0.25 ln 2 + 0 + 0.25 ln 2
    expect(psi([25, 25, 50], [50, 25, 25])).toBeCloseTo(0.5 * Math.log(2), 12);
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 12);
  });
  it('counts an empty bucket as a share of 0.0001', () => {
    expect(psi([50, 50], [100, 0])).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (0.0001 - 0.5) * Math.log(0.0001 / 0.5), 12);
  });
  it('refuses two binnings', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
  });
});

describe('chi-squared', () => {
  it('matches scipy.stats.chi2_contingency(correction=False)', () => {
    // chi2_contingency([[10,10,20],[20,20,20]], correction=False) → 2.7777777777777777, 0.24935220877729622, 2
    const a = chiSquared([10, 10, 20], [20, 20, 20]);
    expect(a.statistic).toBeCloseTo(2.7777777777777777, 12);
    expect(a.pValue).toBeCloseTo(0.24935220877729622, 12);
    expect(a.dof).toBe(2);
    // chi2_contingency([[120,60,20],[80,90,30]], correction=False) → 16.0, 0.0003354626279025119
    const b = chiSquared([120, 60, 20], [80, 90, 30]);
    expect(b.statistic).toBeCloseTo(16, 10);
    expect(b.pValue).toBeCloseTo(0.0003354626279025119, 14);
  });
  it('leaves out categories empty in both', () => {
    expect(chiSquared([10, 0, 10, 20], [20, 0, 20, 20])).toMatchObject({ dof: 2 });
  });
  it('survival function matches scipy.stats.chi2.sf', () => {
    // chi2.sf(3.841458820694124, 1), chi2.sf(10.5, 7), chi2.sf(0.3, 4), chi2.sf(50, 3)
    expect(chiSquaredSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquaredSurvival(10.5, 7)).toBeCloseTo(0.1619644930794282, 12);
    expect(chiSquaredSurvival(0.3, 4)).toBeCloseTo(0.9898141728888165, 12);
    expect(chiSquaredSurvival(50, 3) / 7.989179244951495e-11).toBeCloseTo(1, 8);
  });
});

describe('Kolmogorov-Smirnov', () => {
  it('survival function matches scipy.stats.kstwobign.sf', () => {
    // kstwobign.sf([0.5, 1.0, 1.36, 2.0])
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.963945244, 8);
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.269999672, 8);
    expect(kolmogorovSurvival(1.36)).toBeCloseTo(0.0494858768, 9);
    expect(kolmogorovSurvival(2)).toBeCloseTo(0.000670925256, 11);
  });
  it('on bins holding one value each equals ks_2samp on the raw samples', () => {
    // a = [1,2,2,3,4,4,4,5,6,8]*5, b = [2,3,4,4,5,6,6,8,8,8]*6; ks_2samp(a, b).statistic = 0.3;
    // kstwobign.sf((√en + 0.12 + 0.11/√en) · 0.3), en = 50·60/110 → 0.011279928757285892
    // (ks_2samp(method='asymp') in scipy 1.17 uses kstwo(round(en)) instead: 0.01189)
    const a = [1, 2, 2, 3, 4, 4, 4, 5, 6, 8].flatMap((x) => [x, x, x, x, x]);
    const b = [2, 3, 4, 4, 5, 6, 6, 8, 8, 8].flatMap((x) => [x, x, x, x, x, x]);
    const bounds = [1, 2, 3, 4, 5, 6, 7, 8];
    const r = ksBinned(binned(a, bounds).counts, binned(b, bounds).counts);
    expect(r.statistic).toBeCloseTo(0.3, 12);
    expect(r.pValue).toBeCloseTo(0.011279928757285892, 12);
  });
});

describe('CBPE', () => {
  it('is the mean top-class probability with a Poisson-binomial 95 % band', () => {
    const e = estimateAccuracy(Array.from({ length: 100 }, () => [0.9, 0.8, 0.6, 0.7]).flat())!;
    expect(e.estimate).toBeCloseTo(0.75, 12);
    expect(e.rows).toBe(400);
    const se = Math.sqrt(100 * (0.9 * 0.1 + 0.8 * 0.2 + 0.6 * 0.4 + 0.7 * 0.3)) / 400;
    expect(e.low).toBeCloseTo(0.75 - 1.959963984540054 * se, 12);
    expect(e.high).toBeCloseTo(0.75 + 1.959963984540054 * se, 12);
    expect(estimateAccuracy([0.99, 0.99, 0.2])).toMatchObject({ high: 1 });
    expect(estimateAccuracy([])).toBeNull();
  });
});

describe('profiles and checks', () => {
  const rows = (n: number, f: (i: number) => Partial<ProfileRow>): ProfileRow[] =>
    Array.from({ length: n }, (_, i) => ({ tokens: 3 + (i % 20), unknownShare: i % 10 === 0 ? 0.1 : 0, confidence: 0.55 + (i % 9) * 0.05, label: i % 3 === 0 ? 'negative' : 'positive', ...f(i) }));

  it('token statistics leave out special tokens', () => {
    expect(tokenStats([101, 7, 1, 9, 102], 1, new Set([101, 102]))).toEqual({ tokens: 3, unknownShare: 1 / 3 });
    expect(tokenStats([101, 102], 1, new Set([101, 102]))).toEqual({ tokens: 0, unknownShare: 0 });
  });

  it('a profile is valid and counts every row once per feature', () => {
    const p = buildProfile(rows(300, () => ({})), ['negative', 'neutral', 'positive']);
    expect(ReferenceProfile.parse(p)).toEqual(p);
    expect(p.labels).toEqual({ negative: 100, neutral: 0, positive: 200 });
    expect(p.tokens.counts.length).toBe(PROFILE_BOUNDS.tokens.length + 1);
  });

  it('the same distribution does not drift; a shift drifts on its own feature only', () => {
    const p = buildProfile(rows(600, () => ({})), ['negative', 'positive']);
    const check = (r: ProfileRow[], minRows = 1) => checkDrift(p, windowCounts(p, r), undefined, minRows);
    const drifted = (r: ProfileRow[]) => check(r).flatMap((c) => (!isSkipped(c) && c.drifted ? [c.feature] : []));
    expect(drifted(rows(300, () => ({})))).toEqual([]);
    expect(drifted(rows(300, (i) => ({ tokens: 40 + (i % 50) })))).toEqual(['tokens']);
    expect(drifted(rows(300, (i) => ({ unknownShare: i % 2 ? 0.3 : 0 })))).toEqual(['unknownShare']);
    expect(check(rows(50, () => ({})), 100).every(isSkipped)).toBe(true);
    const mix = check(rows(300, (i) => ({ label: i % 3 === 0 ? 'positive' : 'negative' })));
    expect(drifted(rows(300, (i) => ({ label: i % 3 === 0 ? 'positive' : 'negative' })))).toEqual(['label']);
    const label = mix.find((c) => c.feature === 'label')!;
    expect(label).toMatchObject({ test: 'chi-squared', buckets: ['negative', 'positive'], reference: [200, 400], current: [200, 100] });
  });
});
