import { describe, expect, it } from 'vitest';
import { computeMetrics, scoreLabelled, scoredThreeWayOnPolarFile, scoringFor, scoringOf } from './metrics.ts';

const LABELS = ['negative', 'neutral', 'positive'];

describe('scoreLabelled: a 3-label model on a negative/positive file is scored polar', () => {
  // Gold: 2 negative, 2 positive. The model leans neutral on two rows but ranks negative vs positive right on all.
  const gold = [0, 0, 2, 2];
  const probs = [
    [0.7, 0.2, 0.1],
    [0.3, 0.6, 0.1],
    [0.1, 0.6, 0.3],
    [0.1, 0.1, 0.8],
  ];

  it('scores P(positive) vs P(negative) renormalised, with per-class figures for those two only', () => {
    const m = scoreLabelled(gold, probs, LABELS);
    expect(m.scoring).toBe('polar');
    expect([m.accuracy, m.macroF1]).toEqual([1, 1]);
    expect(Object.keys(m.perClass)).toEqual(['negative', 'positive']);
    expect(m.confusion).toEqual([
      [2, 0, 0],
      [0, 0, 0],
      [0, 0, 2],
    ]);
    // Scored 3-way (before), the same answers read 50 % accuracy and a macro-F1 dragged down by neutral's 0.
    const threeWay = computeMetrics(gold, probs, LABELS);
    expect(threeWay.accuracy).toBe(0.5);
    expect(threeWay.macroF1).toBeLessThan(0.5);
    expect(scoringOf(m, LABELS)).toBe('polar');
    expect(scoringOf(threeWay, LABELS)).toBe('argmax');
    expect(scoredThreeWayOnPolarFile(threeWay, LABELS)).toBe(true);
    expect(scoredThreeWayOnPolarFile(m, LABELS)).toBe(false);
  });

  it('keeps the most probable label for a file with neutral rows and for 2-label models', () => {
    expect(scoringFor([0, 1, 2], LABELS)).toBe('argmax');
    expect(scoreLabelled([0, 1, 2], probs.slice(0, 3), LABELS).scoring).toBe('argmax');
    expect(scoringFor([0, 1], ['negative', 'positive'])).toBe('argmax');
    expect(scoreLabelled([0, 1], [[0.8, 0.2], [0.3, 0.7]], ['negative', 'positive'])).toMatchObject({ scoring: 'argmax', accuracy: 1 });
    expect(scoredThreeWayOnPolarFile(computeMetrics([0, 1, 2], probs.slice(0, 3), LABELS), LABELS)).toBe(false);
  });
});
