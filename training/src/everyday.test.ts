import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checklistTexts, loadChecklist } from './checklist.ts';
import { everydayRows, sentimentAdjectives } from './everyday.ts';
import { lexiconPrior } from './lexicon.ts';
import { dataFile } from './paths.ts';

describe('generated everyday sentences', () => {
  it('labels plain sentences by the word, negated ones by the other pole, neutral adjectives as neutral', () => {
    const rows = everydayRows(600, 3);
    expect(everydayRows(600, 3)).toEqual(rows);
    const counts = { negative: 0, neutral: 0, positive: 0 };
    for (const [, l] of rows) counts[l]++;
    expect(counts.neutral).toBe(200);
    expect(counts.negative + counts.positive).toBe(400);
    const prior = lexiconPrior('both');
    const polarity = new Map(sentimentAdjectives().map((a) => [a.word, a.polarity]));
    let negated = 0;
    for (const [text, label] of rows) {
      if (label === 'neutral') continue;
      const word = text.replace(/[.,]/g, '').toLowerCase().split(' ').find((w) => polarity.has(w) && prior.has(w))!;
      expect(word, text).toBeDefined();
      const isNegated = /\b(not|never)\b|n't/i.test(text);
      if (isNegated) negated++;
      const expected = isNegated ? (polarity.get(word) === 'positive' ? 'negative' : 'positive') : polarity.get(word);
      expect(label, text).toBe(expected);
    }
    expect(negated).toBeGreaterThan(150);
  });

  it('never produces a CheckList case (the suite stays evaluation-only)', () => {
    const dir = dataFile('checklist');
    if (!existsSync(dir)) return;
    const cases = new Set(checklistTexts(loadChecklist(dir)).map((t) => t.toLowerCase().trim()));
    const overlap = everydayRows(3000).filter(([t]) => cases.has(t.toLowerCase().trim()));
    expect(overlap).toEqual([]);
  });
});
