import { describe, expect, it } from 'vitest';
import { occlude, sentenceUnits, withoutUnit, wordUnits, type ProbabilityModel } from './occlusion.ts';
import { softmax } from './classifier.ts';

const words = (t: string) => wordUnits(t).map((u) => t.slice(u.start, u.end));

/** A model that is not additive: "not" flips the sign of the words after it, "good" and "bad" carry it. */
const flipping: ProbabilityModel = {
  labels: ['negative', 'positive'],
  async probabilities(texts) {
    return texts.map((t) => {
      let sign = 1;
      let score = 0;
      for (const w of words(t.toLowerCase())) {
        if (w === 'not' || w === "don't") sign = -sign;
        if (w === 'good' || w === 'like') score += 2 * sign;
        if (w === 'bad') score -= 2 * sign;
      }
      return softmax([0, score]);
    });
  },
};

describe('occlusion ("why this label" by leaving one out)', () => {
  it('cuts whole words: "don\'t" and "well-made" stay one word', () => {
    expect(words("I don't like it. A well-made, 2-hour film’s end!")).toEqual(['I', "don't", 'like', 'it', 'A', 'well-made', '2-hour', 'film’s', 'end']);
  });

  it('cuts sentences at their end marks and lines, and removes a unit from the text', () => {
    const t = 'Great start. Then it dragged!\nThe end';
    expect(sentenceUnits(t).map((u) => t.slice(u.start, u.end))).toEqual(['Great start.', 'Then it dragged!', 'The end']);
    expect(withoutUnit(t, sentenceUnits(t)[1]!)).toBe('Great start. \nThe end');
  });

  it('scores each word by how much the answer shown drops without it, also when the model is not additive', async () => {
    const o = await occlude(flipping, "I don't like it.");
    expect(o.prediction.label).toBe('negative');
    expect(o.by).toBe('word');
    const effect = Object.fromEntries(o.units.map((u) => ["I don't like it.".slice(u.start, u.end), u.effect]));
    // Without "don't" the text reads positive: it pushed towards negative, the answer shown.
    expect(effect["don't"]).toBeGreaterThan(0.7);
    // Without "like" nothing is left to be negative about: it pushed towards negative too (only together with "don't").
    expect(effect.like).toBeGreaterThan(0.3);
    expect(effect.I).toBeCloseTo(0);
    // "good" in a positive text pushes towards positive (the answer shown), never reads as counting against it.
    const g = await occlude(flipping, 'The food was good.');
    expect(g.prediction.label).toBe('positive');
    expect(g.units.find((u) => 'The food was good.'.slice(u.start, u.end) === 'good')!.effect).toBeGreaterThan(0.3);
  });

  it('explains a long text by sentence, grouping sentences to stay within maxUnits', async () => {
    const text = Array.from({ length: 30 }, (_, i) => (i === 7 ? 'It was bad.' : `Sentence number ${i} says little.`)).join(' ');
    const o = await occlude(flipping, text, { maxWords: 60, maxUnits: 10 });
    expect(o.by).toBe('sentence');
    expect(o.units).toHaveLength(10);
    const top = [...o.units].sort((a, b) => b.effect - a.effect)[0]!;
    expect(text.slice(top.start, top.end)).toContain('It was bad.');
  });
});
