import { describe, expect, it } from 'vitest';
import { fitTemperature, meanNll } from './calibration.ts';
import { createRng } from './rng.ts';

/** Rows whose true class probabilities are softmax(z); the model reports logits k·z (over-confident when k > 1). */
function sample(k: number, n: number, seed: number): { logits: Float32Array[]; gold: Int32Array } {
  const rng = createRng(seed);
  const logits: Float32Array[] = [];
  const gold = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = [rng() * 4 - 2, rng() * 4 - 2, rng() * 4 - 2];
    const e = z.map(Math.exp);
    const s = e[0]! + e[1]! + e[2]!;
    const u = rng() * s;
    gold[i] = u < e[0]! ? 0 : u < e[0]! + e[1]! ? 1 : 2;
    logits.push(Float32Array.from(z, (v) => v * k));
  }
  return { logits, gold };
}

describe('fitTemperature', () => {
  it('recovers the over-confidence factor of logits scaled by k', () => {
    for (const k of [0.5, 1, 3]) {
      const { logits, gold } = sample(k, 20_000, 7);
      expect(fitTemperature(logits, gold)).toBeCloseTo(k, 0);
      expect(Math.abs(fitTemperature(logits, gold) - k) / k).toBeLessThan(0.1);
    }
  });

  it('never raises the held-out NLL above T = 1', () => {
    const { logits, gold } = sample(2.5, 2000, 3);
    const t = fitTemperature(logits, gold);
    expect(meanNll(logits, gold, t)).toBeLessThan(meanNll(logits, gold, 1));
  });

  it('is 1 for no rows', () => {
    expect(fitTemperature([], new Int32Array(0))).toBe(1);
  });
});
