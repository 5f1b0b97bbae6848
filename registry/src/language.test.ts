import { describe, expect, it } from 'vitest';
import { checkLanguage, detectLanguage, languageMix, languageNote, MIN_CHARS, trainingLanguages } from './language.ts';
import { OTHER_LANGUAGE_TEXTS } from './fixtures/other-languages.ts';

describe('language check', () => {
  const model = ['en', 'fr'];

  it('names the language of sentences of 20+ characters, and of nothing shorter', () => {
    expect(detectLanguage('This is a great movie, I loved every minute of it')).toBe('en');
    expect(detectLanguage("Ce film est vraiment génial, je l'ai adoré")).toBe('fr');
    expect(detectLanguage('Questo film è davvero bello, mi è piaciuto molto')).toBe('it');
    expect(detectLanguage('Fantastico!')).toBeNull();
    expect('a'.repeat(MIN_CHARS - 1).length).toBeLessThan(MIN_CHARS);
    expect(detectLanguage('   ok   ')).toBeNull();
  });

  it('flags a confident detection of a language the model does not know, and nothing else', () => {
    expect(checkLanguage('Questo film è davvero bello, mi è piaciuto molto', model)).toEqual({ detected: 'it', supported: false });
    expect(checkLanguage('This is a great movie, I loved every minute of it', model)).toEqual({ detected: 'en', supported: true });
    expect(checkLanguage("Ce film est vraiment génial, je l'ai adoré", model)).toEqual({ detected: 'fr', supported: true });
    // short: not judged
    expect(checkLanguage('Molto bello!', model)).toEqual({ detected: null, supported: true });
    // the model knows most of its words: taken as a language it reads
    expect(checkLanguage('Questo film è davvero bello, mi è piaciuto molto', model, 0.05)).toEqual({ detected: 'it', supported: true });
    expect(checkLanguage('Questo film è davvero bello, mi è piaciuto molto', model, 0.6).supported).toBe(false);
    // a model that records no languages never warns
    expect(checkLanguage('Questo film è davvero bello, mi è piaciuto molto', null).supported).toBe(true);
    expect(checkLanguage('Questo film è davvero bello, mi è piaciuto molto', []).supported).toBe(true);
  });

  it('flags at least 85 % of the 20+-character texts in other languages on the detector alone', () => {
    const long = OTHER_LANGUAGE_TEXTS.filter(([, t]) => [...t].length >= MIN_CHARS);
    const flagged = long.filter(([, t]) => !checkLanguage(t, model).supported);
    expect(flagged.length / long.length).toBeGreaterThanOrEqual(0.85);
  });

  it('says it in one plain sentence', () => {
    expect(languageNote({ detected: 'it', supported: false }, ['en', 'fr'])).toBe('This looks like Italian; this model knows English and French, so the answer may be wrong.');
    expect(languageNote({ detected: 'de', supported: false }, ['en'])).toBe('This looks like German; this model knows English, so the answer may be wrong.');
    expect(languageNote({ detected: 'en', supported: true }, ['en'])).toBeNull();
  });

  it('reports the languages of a set of texts (mixed languages too)', () => {
    const texts = ['This is a great movie, I loved every minute of it', 'The service was slow and the food was cold', "Ce film est vraiment génial, je l'ai adoré", 'short'];
    const mix = languageMix(texts);
    expect(mix.unjudged).toBe(1);
    expect(mix.languages.map((l) => l.code)).toEqual(['en', 'fr']);
    expect(trainingLanguages(mix, 0.1)).toEqual(['en', 'fr']);
  });
});
