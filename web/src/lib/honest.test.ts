import { describe, expect, it } from 'vitest';
import { answerWording, confidenceOf, mostlyUnknown, UNCERTAIN_BELOW, whyView } from './honest.ts';

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

describe('answerWording (the one rule for the result, the history, the batch table and the downloads)', () => {
  it('says nothing about a confident answer', () => {
    expect(answerWording({ score: 0.9, unknownShare: 0 })).toEqual({ confidence: 'confident', unreliable: false, notes: [], note: '' });
  });

  it('calls a low top probability unsure, and mostly unknown words unreliable however high the score', () => {
    expect(answerWording({ score: 0.45 }).note).toBe('unsure');
    const gibberish = answerWording({ score: 0.98, unknownShare: 1 });
    expect(gibberish).toMatchObject({ confidence: 'uncertain', unreliable: true, note: 'unreliable: most words are unknown to the model' });
    expect(gibberish.notes[0]!.sentence).toBe('Most of these words are unknown to the model; the answer is unreliable.');
    expect(answerWording({ score: 0.5, unknownShare: 0.8 }).note).toBe('unsure; unreliable: most words are unknown to the model');
  });

  it('takes a language note: a language the model was not trained on makes the answer unreliable', () => {
    expect(answerWording({ score: 0.9, language: { detected: 'fr', supported: true, note: null } }).note).toBe('');
    const note = 'This looks like Italian; this model knows English and French, so the answer may be wrong.';
    const it_ = answerWording({ score: 0.9, language: { detected: 'it', supported: false, note } });
    expect(it_).toMatchObject({ confidence: 'uncertain', unreliable: true, note: 'unreliable: written in a language the model was not trained on (it)' });
    expect(it_.notes[0]!.sentence).toBe(note);
  });
});

describe('whyView (what "Why this label" shows from an occlusion)', () => {
  const at = (text: string, word: string, effect: number) => ({ start: text.indexOf(word), end: text.indexOf(word) + word.length, effect });

  it('marks whole words that pushed towards and away from the answer, strongest first, leaving faint ones unmarked', () => {
    const text = "I don't like it, but the price is fine.";
    const v = whyView(text, { by: 'word', units: [at(text, 'I', 0.001), at(text, "don't", 0.4), at(text, 'like', 0.2), at(text, 'price', 0.05), at(text, 'fine', -0.15)] });
    expect(v.towards).toEqual([{ text: "don't", effect: 0.4 }, { text: 'like', effect: 0.2 }]);
    expect(v.against).toEqual([{ text: 'fine', effect: -0.15 }]);
    expect(v.spans!.filter((s) => s.push).map((s) => [s.text, s.push])).toEqual([["don't", 'for'], ['like', 'for'], ['fine', 'against']]);
    expect(v.spans!.map((s) => s.text).join('')).toBe(text);
  });

  it('keeps at most five words, and nothing when no word moved the answer by a point', () => {
    const text = 'one two three four five six seven';
    const units = text.split(' ').map((w, i) => at(text, w, 0.1 + i / 100));
    expect(whyView(text, { by: 'word', units }).towards.map((p) => p.text)).toEqual(['seven', 'six', 'five', 'four', 'three']);
    const none = whyView(text, { by: 'word', units: units.map((u) => ({ ...u, effect: 0.005 })) });
    expect([none.towards, none.against, none.spans!.some((s) => s.push)]).toEqual([[], [], false]);
  });

  it('shows a long text by its three strongest sentences only, never the whole text again, each cut at 160 characters', () => {
    const long = `A ${'very '.repeat(60)}long first sentence.`;
    const text = `${long} It was awful. Fine seats. Poor sound.`;
    const v = whyView(text, { by: 'sentence', units: [at(text, long, 0.3), at(text, 'It was awful.', 0.5), at(text, 'Fine seats.', -0.2), at(text, 'Poor sound.', 0.1)] });
    expect(v.spans).toBeNull();
    expect(v.towards.map((p) => p.text)).toEqual(['It was awful.', `${long.slice(0, 159).trimEnd()}…`]);
    expect(v.against.map((p) => p.text)).toEqual(['Fine seats.']);
  });
});
