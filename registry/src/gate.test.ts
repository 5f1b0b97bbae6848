import { describe, expect, it } from 'vitest';
import { decidePromotion, policyFor, DEFAULT_POLICY, type GateCandidate } from './gate.ts';

const SST = { name: 'sst2/validation.csv', sha256: 'a'.repeat(64), rows: 872 };
const OTHER = { name: 'mr/reviews.csv', sha256: 'b'.repeat(64), rows: 872 };

function cand(macroF1: number, dataset = SST, correct?: number[]): GateCandidate {
  return { evaluation: { dataset, macroF1, accuracy: macroF1 }, ...(correct ? { correct } : {}) };
}

describe('decidePromotion', () => {
  it('promotes the first version at or above the floor', () => {
    const d = decidePromotion(cand(0.8), null, DEFAULT_POLICY);
    expect(d.outcome).toBe('promote');
    expect(d.publishable).toBe(true);
    expect(d.reasons.join(' ')).toMatch(/no champion yet/);
  });

  it('names the file and the scoring in its reasons', () => {
    const d = decidePromotion({ ...cand(0.85), scoring: 'polar' }, null, DEFAULT_POLICY);
    expect(d.reasons[0]).toBe('candidate macro-F1 0.8500 ≥ floor 0.8000 (on sst2/validation.csv, 872 rows, scored polar: P(positive) vs P(negative))');
    expect(decidePromotion({ ...cand(0.5), scoring: 'argmax' }, null, DEFAULT_POLICY).reasons[0]).toBe(
      'candidate macro-F1 0.5000 (on sst2/validation.csv, 872 rows, scored the most probable label) is below the floor 0.8000: not publishable',
    );
  });

  it('rejects the first version just below the floor', () => {
    const d = decidePromotion(cand(0.7999), null, DEFAULT_POLICY);
    expect(d.outcome).toBe('reject');
    expect(d.publishable).toBe(false);
    expect(d.reasons[0]).toMatch(/below the floor 0\.8000/);
  });

  it('promotes on equal F1 with the default margin of 0', () => {
    const d = decidePromotion(cand(0.85), cand(0.85));
    expect(d.outcome).toBe('promote');
    expect(d.delta).toBe(0);
  });

  it('keeps an equal candidate as challenger when a positive margin is required', () => {
    const d = decidePromotion(cand(0.85), cand(0.85), { ...DEFAULT_POLICY, margin: 0.005 });
    expect(d.outcome).toBe('challenger');
    expect(d.publishable).toBe(true);
  });

  it('publishes a worse candidate as challenger, never as champion', () => {
    const d = decidePromotion(cand(0.84), cand(0.86));
    expect(d.outcome).toBe('challenger');
    expect(d.delta).toBeCloseTo(-0.02, 10);
  });

  it('rejects a candidate below the floor even when a champion exists', () => {
    expect(decidePromotion(cand(0.5), cand(0.86)).outcome).toBe('reject');
  });

  it.each([Number.NaN, undefined, Infinity, -0.1, 1.5])('rejects a missing or invalid candidate metric (%s)', (bad) => {
    const d = decidePromotion(cand(bad as number), null);
    expect(d.outcome).toBe('reject');
    expect(d.reasons[0]).toMatch(/missing or not a number/);
  });

  it('rejects when the champion metric is missing', () => {
    const d = decidePromotion(cand(0.9), cand(Number.NaN));
    expect(d.outcome).toBe('reject');
    expect(d.reasons[0]).toMatch(/champion macro-F1 is missing/);
  });

  it('refuses to compare scores from different evaluation sets', () => {
    const d = decidePromotion(cand(0.95), cand(0.85, OTHER));
    expect(d.outcome).toBe('reject');
    expect(d.reasons[0]).toMatch(/different evaluation sets/);
  });

  it('reports a McNemar p-value from per-example correctness', () => {
    // 2 classes, 100 rows: candidate right on 20 rows where the champion is wrong, wrong on 5 where it is right.
    const champ = Array.from({ length: 100 }, (_, i) => (i < 20 ? 0 : 1));
    const candi = Array.from({ length: 100 }, (_, i) => (i >= 20 && i < 25 ? 0 : 1));
    const d = decidePromotion(cand(0.95, SST, candi), cand(0.85, SST, champ), { ...DEFAULT_POLICY, requireSignificance: true });
    expect(d.paired).toMatchObject({ candidateOnly: 20, baselineOnly: 5 });
    expect(d.paired!.pValue).toBeLessThan(0.01);
    expect(d.outcome).toBe('promote');
  });

  it('keeps a better but not significant candidate as challenger when the policy requires significance', () => {
    const champ = Array.from({ length: 100 }, (_, i) => (i < 3 ? 0 : 1));
    const candi = Array.from({ length: 100 }, (_, i) => (i >= 3 && i < 4 ? 0 : 1));
    const d = decidePromotion(cand(0.87, SST, candi), cand(0.86, SST, champ), { ...DEFAULT_POLICY, requireSignificance: true });
    expect(d.paired!.pValue).toBeGreaterThan(0.05);
    expect(d.outcome).toBe('challenger');
    expect(d.reasons.at(-1)).toMatch(/not significant/);
  });

  it('works the same for three classes (macro-F1 is label-count agnostic)', () => {
    const tweets = policyFor('sentiment-tweets');
    expect(tweets.floor).toBe(0.55);
    expect(decidePromotion(cand(0.6), null, tweets).outcome).toBe('promote');
    expect(decidePromotion(cand(0.5), null, tweets).outcome).toBe('reject');
    // The default model is 3-class too, gated on tweeteval/val.csv; other names keep the 2-class floor.
    expect(policyFor('sentiment').floor).toBe(0.5);
    expect(policyFor('my-model').floor).toBe(DEFAULT_POLICY.floor);
  });

  it('lets callers override the policy without losing defaults', () => {
    const p = policyFor('sentiment', { floor: 0.5, margin: undefined });
    expect(p).toEqual({ ...DEFAULT_POLICY, floor: 0.5 });
  });
});
