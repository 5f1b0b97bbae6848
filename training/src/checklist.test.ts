import { describe, expect, it } from 'vitest';
import { dirPairOutcome, invPairPass, mftPass, predictedLabel, sampleChecklist, scoreChecklist, type ChecklistData, type ClassProbs } from './checklist.ts';

const p2 = (positive: number): ClassProbs => ({ negative: 1 - positive, neutral: 0, positive });
const p3 = (negative: number, neutral: number, positive: number): ClassProbs => ({ negative, neutral, positive });

describe('CheckList rules', () => {
  it('predicts neutral only for 3-label models', () => {
    expect(predictedLabel(p3(0.2, 0.5, 0.3), true)).toBe('neutral');
    expect(predictedLabel(p3(0.2, 0.5, 0.3), false)).toBe('positive');
    expect(predictedLabel(p2(0.4), false)).toBe('negative');
  });

  it('MFT: label equality, and neutral|positive means anything but negative', () => {
    expect(mftPass('negative', p2(0.3), false)).toBe(true);
    expect(mftPass('positive', p2(0.3), false)).toBe(false);
    expect(mftPass('neutral|positive', p2(0.6), false)).toBe(true);
    expect(mftPass('neutral|positive', p3(0.3, 0.6, 0.1), true)).toBe(true);
    expect(mftPass('neutral|positive', p3(0.5, 0.3, 0.2), true)).toBe(false);
    expect(mftPass('neutral', p3(0.1, 0.8, 0.1), true)).toBe(true);
  });

  it('INV: same prediction passes; a flip passes only within 0.1 of P_L(a)', () => {
    expect(invPairPass(p2(0.9), p2(0.6), false)).toBe(true); // same label, big move: still passes
    expect(invPairPass(p2(0.55), p2(0.46), false)).toBe(true); // flips, |0.45 − 0.54| = 0.09 for L = positive
    expect(invPairPass(p2(0.55), p2(0.45), false)).toBe(true); // exactly 0.1 passes
    expect(invPairPass(p2(0.55), p2(0.44), false)).toBe(false); // 0.11
    // 3-way: L = neutral for a; b flips to positive, P_neutral drops by 0.3
    expect(invPairPass(p3(0.1, 0.6, 0.3), p3(0.1, 0.3, 0.6), true)).toBe(false);
    expect(invPairPass(p3(0.1, 0.42, 0.48), p3(0.1, 0.48, 0.42), true)).toBe(true);
  });

  it('DIR intensifiers: P_L(b) ≥ P_L(a) − 0.1, skipped when L is neutral or P_L(a) ≤ 0.1', () => {
    const e = 'orig_label_conf_not_down_tol0.1_skip_neutral_orig';
    expect(dirPairOutcome(e, p2(0.8), p2(0.71), false)).toBe('pass');
    expect(dirPairOutcome(e, p2(0.8), p2(0.69), false)).toBe('fail');
    expect(dirPairOutcome(e, p2(0.2), p2(0.25), false)).toBe('pass'); // L = negative 0.8 → 0.75
    expect(dirPairOutcome(e, p3(0.2, 0.6, 0.2), p3(0.9, 0.05, 0.05), true)).toBe('skip'); // neutral orig
    expect(dirPairOutcome(e, p3(0.09, 0.9, 0.01), p3(0, 1, 0), false)).toBe('skip'); // 2-way view: L = negative with P 0.09 ≤ 0.1
  });

  it('DIR reducers: P_L(b) ≤ P_L(a) + 0.1, skipped when L is neutral or P_L(a) ≥ 0.9', () => {
    const e = 'orig_label_conf_not_up_tol0.1_skip_neutral_orig';
    expect(dirPairOutcome(e, p2(0.7), p2(0.79), false)).toBe('pass');
    expect(dirPairOutcome(e, p2(0.7), p2(0.81), false)).toBe('fail');
    expect(dirPairOutcome(e, p2(0.95), p2(0.99), false)).toBe('skip');
    expect(dirPairOutcome(e, p3(0.1, 0.8, 0.1), p3(0.1, 0.9, 0), true)).toBe('skip');
  });

  it('DIR add positive / negative phrases: the change of P_pos − P_neg is ≥ −0.1 / ≤ 0.1', () => {
    expect(dirPairOutcome('pos_minus_neg_not_down_tol0.1', p2(0.6), p2(0.56), false)).toBe('pass'); // d = −0.08
    expect(dirPairOutcome('pos_minus_neg_not_down_tol0.1', p2(0.6), p2(0.54), false)).toBe('fail'); // d = −0.12
    expect(dirPairOutcome('pos_minus_neg_not_up_tol0.1', p3(0.5, 0.3, 0.2), p3(0.35, 0.45, 0.2), true)).toBe('fail'); // d = +0.15
    expect(dirPairOutcome('pos_minus_neg_not_up_tol0.1', p3(0.5, 0.3, 0.2), p3(0.4, 0.4, 0.2), true)).toBe('pass'); // d = +0.1 exactly
    expect(dirPairOutcome('pos_minus_neg_not_up_tol0.1', p3(0.5, 0.3, 0.2), p3(0.45, 0.35, 0.2), true)).toBe('pass'); // d = +0.05
    expect(() => dirPairOutcome('something else', p2(0.5), p2(0.5), false)).toThrow(/unknown expectation/);
  });
});

describe('scoreChecklist', () => {
  const probs: Record<string, ClassProbs> = {
    good: p3(0.1, 0.1, 0.8),
    bad: p3(0.8, 0.1, 0.1),
    'not bad': p3(0.7, 0.2, 0.1), // fails the not-negative test
    'not good': p3(0.2, 0.1, 0.7), // fails the negation test
    table: p3(0.2, 0.6, 0.2),
    chair: p3(0.6, 0.3, 0.1),
    'good!': p3(0.4, 0.1, 0.5), // INV against "good": same label → pass
    'good @x': p3(0.75, 0.1, 0.15), // INV flip → fail
    'very good': p3(0.05, 0.05, 0.9),
    'slightly good': p3(0.1, 0.1, 0.8),
  };
  const data: ChecklistData = {
    tests: [
      { test: 'words', capability: 'Vocabulary', type: 'MFT' },
      { test: 'neutral words', capability: 'Vocabulary', type: 'MFT' },
      { test: 'negation: negative', capability: 'Negation', type: 'MFT' },
      { test: 'negation: not negative', capability: 'Negation', type: 'MFT' },
      { test: 'punctuation', capability: 'Robustness', type: 'INV' },
      { test: 'add random urls and handles', capability: 'Robustness', type: 'INV' },
      { test: 'intensifiers', capability: 'Vocabulary', type: 'DIR' },
    ],
    mft: [
      { text: 'good', label: 'positive', test: 'words' },
      { text: 'bad', label: 'negative', test: 'words' },
      { text: 'table', label: 'neutral', test: 'neutral words' },
      { text: 'chair', label: 'neutral', test: 'neutral words' },
      { text: 'not good', label: 'negative', test: 'negation: negative' },
      { text: 'not bad', label: 'neutral|positive', test: 'negation: not negative' },
    ],
    inv: [
      { textA: 'good', textB: 'good!', test: 'punctuation' },
      { textA: 'good', textB: 'good!', test: 'add random urls and handles' },
      { textA: 'good', textB: 'good @x', test: 'add random urls and handles' }, // second pair of the same case fails it
      { textA: 'bad', textB: 'bad', test: 'add random urls and handles' },
    ],
    dir: [
      { textA: 'good', textB: 'very good', test: 'intensifiers', expect: 'orig_label_conf_not_down_tol0.1_skip_neutral_orig' },
      { textA: 'table', textB: 'good', test: 'intensifiers', expect: 'orig_label_conf_not_down_tol0.1_skip_neutral_orig' },
    ],
  };
  const lookup = (t: string): ClassProbs => {
    const p = probs[t];
    if (!p) throw new Error(`no fixture for ${t}`);
    return p;
  };

  it('pools polar MFT cases, reports negation tests, neutral tests for 3-label models, INV by case', () => {
    const r = scoreChecklist(data, lookup, true);
    expect(r.polarMft).toMatchObject({ cases: 4, failed: 2, failureRate: 0.5 });
    expect(r.polarMft.meanOverTests).toBeCloseTo((0 + 1 + 1) / 3);
    expect(r.negation).toEqual({ 'negation: negative': 1, 'negation: not negative': 1 });
    expect(r.neutralMft).toMatchObject({ cases: 2, failed: 1, failureRate: 0.5 });
    // INV: punctuation case passes; urls: case "good" fails (one of its two pairs), case "bad" passes
    expect(r.tests.find((t) => t.test === 'add random urls and handles')).toMatchObject({ cases: 2, failed: 1, failureRate: 0.5 });
    expect(r.inv).toMatchObject({ cases: 3, failed: 1 });
    expect(r.invRobustness).toMatchObject({ cases: 3, failed: 1 });
    // DIR: the neutral original is skipped, the other passes
    expect(r.tests.find((t) => t.test === 'intensifiers')).toMatchObject({ cases: 1, skipped: 1, failed: 0, failureRate: 0 });
    expect(r.tests.map((t) => t.test)).toEqual(data.tests.map((t) => t.test));
  });

  it('does not count neutral-only tests for a 2-label model', () => {
    const two = (t: string): ClassProbs => {
      const p = lookup(t);
      const s = p.negative + p.positive;
      return { negative: p.negative / s, neutral: 0, positive: p.positive / s };
    };
    const r = scoreChecklist(data, two, false);
    expect(r.neutralMft).toBeNull();
    expect(r.tests.find((t) => t.test === 'neutral words')).toMatchObject({ counted: false, failureRate: null, cases: 0 });
    expect(r.polarMft.cases).toBe(4);
    // the neutral DIR original ("table") is negative in the 2-way view, so it is scored: P_neg 0.5 → 0.11
    expect(r.tests.find((t) => t.test === 'intensifiers')).toMatchObject({ cases: 2, failed: 1 });
  });

  it('samples the first N pairs of each case, deterministically, and says so', () => {
    const { data: s, sampled } = sampleChecklist(data, { maxPairsPerCase: 1 });
    expect(s.inv).toHaveLength(3);
    expect(s.inv.map((p) => p.textB)).toEqual(['good!', 'good!', 'bad']);
    expect(sampled).toMatch(/first 1 pairs/);
    expect(sampleChecklist(data).sampled).toBeNull();
  });
});
