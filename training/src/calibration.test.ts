import { describe, expect, it } from 'vitest';
import { fitIntercept, fitTemperature, meanNll } from './calibration.ts';
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

describe('fitIntercept', () => {
  it('recovers a bias the logits lack (rows drawn from softmax(z + b))', () => {
    const rng = createRng(5);
    const bias = [0.8, -0.5, 0];
    const logits: Float32Array[] = [];
    const gold = new Int32Array(20_000);
    for (let i = 0; i < gold.length; i++) {
      const z = [rng() * 4 - 2, rng() * 4 - 2, rng() * 4 - 2];
      const e = z.map((v, c) => Math.exp(v + bias[c]!));
      const u = rng() * (e[0]! + e[1]! + e[2]!);
      gold[i] = u < e[0]! ? 0 : u < e[0]! + e[1]! ? 1 : 2;
      logits.push(Float32Array.from(z));
    }
    const b = fitIntercept(logits, gold, null);
    // Softmax is unchanged by a constant: compare differences to the last class.
    expect(b[0]! - b[2]!).toBeCloseTo(0.8, 1);
    expect(b[1]! - b[2]!).toBeCloseTo(-0.5, 1);
  });

  it('scores polar rows on their two labels, so all-positive polar rows do not push the middle label down', () => {
    const zero = () => new Float32Array(3);
    // 3-way rows: classes 0 / 1 / 2 in 1 : 2 : 1; polar rows: all class 2 (of labels 0 and 2).
    const three = [0, 1, 1, 2];
    const logits = [...three.map(zero), ...Array.from({ length: 4 }, zero)];
    const gold = Int32Array.from([...three, 2, 2, 2, 2]);
    const polar = { rows: Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1]), a: 0, b: 2 };
    const withPolar = fitIntercept(logits, gold, polar);
    const plain = fitIntercept(logits, gold, null);
    const share1 = (b: Float64Array) => Math.exp(b[1]!) / (Math.exp(b[0]!) + Math.exp(b[1]!) + Math.exp(b[2]!));
    // Scored 3-way, the polar rows count as evidence against class 1; scored polar they do not.
    expect(share1(withPolar)).toBeGreaterThan(share1(plain) + 0.05);
    expect(withPolar[2]!).toBeGreaterThan(withPolar[0]!);
  });
});
