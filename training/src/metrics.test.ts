import { describe, expect, it } from 'vitest';
import { computeMetrics, expectedCalibrationError } from './metrics.ts';

const onehot = (k: number, n: number, p = 0.9) => Array.from({ length: n }, (_, i) => (i === k ? p : (1 - p) / (n - 1)));

describe('computeMetrics', () => {
  it('two classes, by hand', () => {
    // gold:  1 1 1 0 0 ; pred: 1 0 1 1 0  → TP(pos)=2, FN=1, FP=1, TN=1
    const gold = [1, 1, 1, 0, 0];
    const pred = [1, 0, 1, 1, 0];
    const m = computeMetrics(gold, pred.map((p) => onehot(p, 2)), ['negative', 'positive']);
    expect(m.accuracy).toBeCloseTo(3 / 5);
    expect(m.confusion).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(m.perClass.positive).toEqual({ precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
    expect(m.perClass.negative!.precision).toBeCloseTo(1 / 2);
    expect(m.perClass.negative!.recall).toBeCloseTo(1 / 2);
    expect(m.macroF1).toBeCloseTo((2 / 3 + 1 / 2) / 2);
    expect(m.macroRecall).toBeCloseTo((2 / 3 + 1 / 2) / 2);
    expect(m.correct).toEqual([true, false, true, false, true]);
    expect(m.rows).toBe(5);
  });

  it('three classes with a never-predicted class', () => {
    // labels a b c; gold a a b b c c ; pred a b b b a a
    const gold = [0, 0, 1, 1, 2, 2];
    const pred = [0, 1, 1, 1, 0, 0];
    const m = computeMetrics(gold, pred.map((p) => onehot(p, 3)), ['a', 'b', 'c']);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [2, 0, 0],
    ]);
    expect(m.accuracy).toBeCloseTo(3 / 6);
    // a: P=1/3 R=1/2 F1=0.4 ; b: P=2/3 R=1 F1=0.8 ; c: 0
    expect(m.perClass.a!.f1).toBeCloseTo(0.4);
    expect(m.perClass.b!.f1).toBeCloseTo(0.8);
    expect(m.perClass.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(m.macroF1).toBeCloseTo(0.4);
    expect(m.macroRecall).toBeCloseTo((0.5 + 1 + 0) / 3);
  });
});

describe('expectedCalibrationError', () => {
  it('is 0 for perfectly calibrated bins and matches a hand computation', () => {
    expect(expectedCalibrationError([1, 1], [true, true])).toBe(0);
    // bin (0.6,0.667]: conf 0.65,0.65 acc 1/2 → |0.5-0.65|=0.15 ; bin (0.933,1]: conf 0.95 acc 0 → 0.95
    const ece = expectedCalibrationError([0.65, 0.65, 0.95], [true, false, false]);
    expect(ece).toBeCloseTo((2 / 3) * 0.15 + (1 / 3) * 0.95, 10);
  });

  it('is computed from the top-class probability in computeMetrics', () => {
    const m = computeMetrics([0, 1], [[0.8, 0.2], [0.7, 0.3]], ['x', 'y']);
    // conf 0.8 correct (bin 12: (0.8,0.867]? 0.8*15=12 → bin 11, (0.733,0.8]); conf 0.7 wrong (bin 10)
    expect(m.ece).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.7, 10);
  });
});
