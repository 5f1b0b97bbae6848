import { describe, expect, it } from 'vitest';
import { canaryBucket, servesCanary, shareProblem } from './canary.ts';

const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `client-${i}`);
const uuids = Array.from({ length: KEYS }, () => crypto.randomUUID());

describe('canary share', () => {
  it('buckets are in [0, 1) and stable per key', () => {
    for (const k of keys.slice(0, 500)) {
      const b = canaryBucket(k, 'sentiment');
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(1);
      expect(canaryBucket(k, 'sentiment')).toBe(b);
    }
    // Known answers, computed independently (Python: FNV-1a 32 over the code units, then fmix32, / 2^32):
    // the Worker and the PWA must agree across releases, so the hash may not change silently.
    expect(canaryBucket('', '')).toBe(0.02137250336818397);
    expect(canaryBucket('client-0', 'sentiment')).toBe(0.19977446016855538);
    expect(canaryBucket('a', 'sentiment')).toBe(0.20373704377561808);
  });

  it.each([0.01, 0.05, 0.1, 0.25, 0.5, 0.9])('serves %f of 10,000 keys within ±2 points (sequential and random keys)', (share) => {
    for (const set of [keys, uuids]) {
      const served = set.filter((k) => servesCanary(k, 'sentiment', share)).length / KEYS;
      expect(Math.abs(served - share)).toBeLessThan(0.02);
    }
  });

  it('serves nobody at 0 and everybody at 1; a raised share only adds clients', () => {
    expect(keys.some((k) => servesCanary(k, 'm', 0))).toBe(false);
    expect(keys.every((k) => servesCanary(k, 'm', 1))).toBe(true);
    const at10 = keys.filter((k) => servesCanary(k, 'm', 0.1));
    expect(at10.every((k) => servesCanary(k, 'm', 0.3))).toBe(true);
  });

  it('buckets of different models are independent', () => {
    const a = keys.filter((k) => servesCanary(k, 'alpha', 0.5));
    const both = a.filter((k) => servesCanary(k, 'beta', 0.5)).length / KEYS;
    expect(Math.abs(both - 0.25)).toBeLessThan(0.02);
  });

  it('validates shares', () => {
    expect(shareProblem(0)).toBeNull();
    expect(shareProblem(0.35)).toBeNull();
    expect(shareProblem(1)).toBeNull();
    for (const bad of [-0.1, 1.5, Number.NaN, '0.5', null]) expect(shareProblem(bad)).toMatch(/share must be a number from 0 to 1/);
  });
});
