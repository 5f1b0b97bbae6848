import { describe, expect, it } from 'vitest';
import { confidenceOf, highlightSpans, mostlyUnknown, UNCERTAIN_BELOW, unknownShare, wordScores, type TokenScores } from './honest.ts';

const tok = (token: string, positive: number, negative = 0): TokenScores => ({ token, scores: { negative, positive } });

describe('confidenceOf', () => {
  it('is uncertain below the threshold and confident at or above it', () => {
    expect(confidenceOf(0.55)).toBe('uncertain');
    expect(confidenceOf(UNCERTAIN_BELOW - 0.001)).toBe('uncertain');
    expect(confidenceOf(UNCERTAIN_BELOW)).toBe('confident');
    expect(confidenceOf(0.93)).toBe('confident');
  });

  it('is uncertain when most words are unknown, however high the score', () => {
    expect(confidenceOf(0.95, 0.75)).toBe('uncertain');
    expect(confidenceOf(0.95, 0.5)).toBe('confident');
    expect(mostlyUnknown(0.51)).toBe(true);
    expect(mostlyUnknown(0.5)).toBe(false);
  });
});

describe('wordScores', () => {
  it('drops special tokens, joins WordPiece pieces and scores against the other labels', () => {
    const words = wordScores([tok('[CLS]', 9), tok('un', 0.1, 0.3), tok('##fun', 0.2, 0.4), tok('great', 1, 0.2), tok('[UNK]', 0.05), tok('[SEP]', 9)], 'positive');
    expect(words.map((w) => w.word)).toEqual(['unfun', 'great', '[UNK]']);
    expect(words[0]!.push).toBeCloseTo(0.1 - 0.3 + 0.2 - 0.4);
    expect(words[1]!.push).toBeCloseTo(0.8);
    expect(words.map((w) => w.unknown)).toEqual([false, false, true]);
  });

  it('uses the mean of the other labels with three labels', () => {
    const [w] = wordScores([{ token: 'meh', scores: { negative: 0.2, neutral: 1, positive: 0.4 } }], 'neutral');
    expect(w!.push).toBeCloseTo(1 - 0.3);
  });
});

describe('unknownShare', () => {
  it('is the share of words that are [UNK]', () => {
    const words = wordScores([tok('[CLS]', 0), tok('[UNK]', 0), tok('[UNK]', 0), tok('good', 0), tok('[SEP]', 0)], 'positive');
    expect(unknownShare(words)).toBeCloseTo(2 / 3);
    expect(unknownShare([])).toBe(0);
  });
});

describe('highlightSpans', () => {
  it('marks the words that pushed most, in place, keeping the whole text', () => {
    const text = 'The movie was GREAT, but boring.';
    const words = wordScores(
      [tok('the', 0.01), tok('movie', 0.02), tok('was', 0), tok('great', 1.2), tok(',', 0), tok('but', -0.1), tok('boring', -0.9), tok('.', 0)],
      'positive',
    );
    const spans = highlightSpans(text, words, 5, 0.05, 0);
    expect(spans.map((s) => s.text).join('')).toBe(text);
    expect(spans.filter((s) => s.push)).toEqual([
      { text: 'GREAT', push: 'for' },
      { text: 'but', push: 'against' },
      { text: 'boring', push: 'against' },
    ]);
  });

  it('leaves out faint pushes next to the words that decided', () => {
    const words = wordScores([tok('a', 0.2), tok('great', 1.5), tok('and', 0.3), tok('wonderful', 1.1), tok('film', 0.4)], 'positive');
    const spans = highlightSpans('a great and wonderful film', words);
    expect(spans.filter((s) => s.push).map((s) => s.text)).toEqual(['great', 'wonderful']);
  });

  it('keeps only the top words and skips unknown or unfindable ones', () => {
    const text = 'zzqx good bad café';
    const words = wordScores([tok('[UNK]', 5), tok('good', 0.5), tok('bad', -0.2), tok('cafe', 3)], 'positive');
    const spans = highlightSpans(text, words, 1);
    expect(spans.map((s) => s.text).join('')).toBe(text);
    expect(spans.filter((s) => s.push)).toEqual([{ text: 'good', push: 'for' }]);
  });

  it('has no highlights when nothing pushed', () => {
    expect(highlightSpans('asdf', [], 5).every((s) => !s.push)).toBe(true);
  });
});
