import { describe, expect, it } from 'vitest';
import { lbfgs, tokenize, trainTfidfLr } from './tfidf-lr.ts';

describe('tokenize', () => {
  it('lower-cases, rewrites n\'t to not, keeps inner apostrophes and ! ?', () => {
    expect(tokenize("It doesn't WORK, isn’t it? Rock'n'roll!")).toEqual(['it', 'does', 'not', 'work', 'is', 'not', 'it', '?', "rock'n'roll", '!']);
    expect(tokenize('does n\'t')).toEqual(['does', 'not']);
  });
});

describe('lbfgs', () => {
  it('finds the minimum of a shifted, badly scaled quadratic', () => {
    const target = [3, -2, 0.5];
    const scale = [1, 100, 0.01];
    const f = (x: Float64Array, g: Float64Array) => {
      let v = 0;
      for (let i = 0; i < 3; i++) {
        const d = x[i]! - target[i]!;
        v += scale[i]! * d * d;
        g[i] = 2 * scale[i]! * d;
      }
      return v;
    };
    const { x } = lbfgs(f, new Float64Array(3), { maxIterations: 200, tolerance: 1e-14 });
    for (let i = 0; i < 3; i++) expect(x[i]).toBeCloseTo(target[i]!, 3);
  });
});

describe('trainTfidfLr', () => {
  const pos = ['a great film', 'great fun', 'i loved it', 'loved the acting', 'not bad at all', 'a great cast'];
  const neg = ['a bad film', 'bad acting', 'i hated it', 'hated the plot', 'not good at all', 'a bad cast'];
  const neu = ['the film is at 3pm', 'the cast list', 'it is a film'];
  const texts = [...pos, ...neg, ...neu];
  const labels = [...pos.map(() => 'positive'), ...neg.map(() => 'negative'), ...neu.map(() => 'neutral')];

  it('learns a 3-class toy set, including bigrams, with probabilities that sum to 1', () => {
    const m = trainTfidfLr(texts, labels, { C: 10, minDf: 1 });
    expect(m.labels).toEqual(['negative', 'neutral', 'positive']);
    const probs = m.predict(texts);
    const predicted = probs.map((p) => m.labels[p.indexOf(Math.max(...p))]);
    expect(predicted).toEqual(labels);
    for (const p of probs) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // "not bad" (a bigram of a positive text) pushes positive despite "bad"
    const [p] = m.predict(['not bad']);
    expect(p![2]).toBeGreaterThan(p![0]!);
    expect(m.vocabulary.has('not bad')).toBe(true);
    expect(m.serializedBytes()).toBeGreaterThan(100);
  });

  it('is deterministic, drops rare n-grams with minDf, and regularises with C', () => {
    const a = trainTfidfLr(texts, labels, { minDf: 2 });
    const b = trainTfidfLr(texts, labels, { minDf: 2 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.vocabulary.has('loved the')).toBe(false);
    expect(a.vocabulary.has('great')).toBe(true);
    const strong = trainTfidfLr(texts, labels, { minDf: 2, C: 0.01 });
    const norm = (w: Float64Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
    expect(norm(strong.weights)).toBeLessThan(norm(a.weights));
  });

  it('rejects mismatched or single-label input', () => {
    expect(() => trainTfidfLr(['a'], ['x', 'y'])).toThrow(/1 texts but 2 labels/);
    expect(() => trainTfidfLr(['a', 'b'], ['x', 'x'])).toThrow(/two labels/);
  });
});
