/**
 * Generated everyday sentences with negation (a weighted augmentation source of the default recipe, off unless
 * WeightingOptions.everydayRows > 0): short first-person sentences built from this file's own templates and the
 * AFINN-165 / VADER lexicon words (lexicon.ts), labelled by rule:
 * - "The soup was lovely." → the word's polarity; "The soup was not lovely." → negative (a negated positive);
 * - "It wasn't awful at all." → positive (a negated negative: "not bad" is praise in everyday speech);
 * - "The desk is not wooden." → neutral (negating a word with no sentiment adds none).
 * This is rule-based counterfactual augmentation for negation (compare Kaushik et al. 2020, "Learning the
 * Difference that Makes a Difference with Counterfactually-Augmented Data", ICLR, where people edited reviews,
 * often by negating them, to flip the label). The templates, nouns and neutral adjectives are written here; none comes from CheckList or any
 * evaluation set. Sentiment words come from the lexicons only.
 */
import { lexiconPrior } from './lexicon.ts';
import { createRng, shuffleInPlace } from './rng.ts';

/** Everyday things a sentence can be about (no air travel: the CheckList suite is about airlines). */
const THINGS = [
  'soup', 'pasta', 'coffee', 'pizza', 'salad', 'dessert', 'breakfast', 'dinner', 'book', 'novel', 'film', 'show', 'album', 'song',
  'concert', 'hotel', 'room', 'bed', 'shop', 'store', 'phone', 'laptop', 'camera', 'app', 'game', 'course', 'teacher', 'doctor',
  'waiter', 'team', 'neighbourhood', 'park', 'museum', 'bus', 'train ride', 'apartment', 'jacket', 'shoes', 'haircut', 'gym',
];

/** Adjectives without sentiment (negating them must leave the text neutral). */
const NEUTRAL_ADJECTIVES = [
  'wooden', 'metal', 'plastic', 'blue', 'green', 'red', 'yellow', 'round', 'square', 'tall', 'short', 'open', 'closed', 'new',
  'old', 'digital', 'electric', 'local', 'public', 'private', 'annual', 'weekly', 'daily', 'foreign', 'domestic', 'rural', 'urban',
  'large', 'small', 'heavy', 'light', 'full', 'early', 'indoor', 'outdoor', 'vegetarian', 'paper', 'northern', 'southern',
];

/** Common sentiment adjectives the suffix rule below misses (their polarity still comes from the lexicon). */
const PLAIN_ADJECTIVES = ['good', 'great', 'bad', 'nice', 'fine', 'poor', 'cool', 'fun', 'sad', 'happy', 'rude', 'kind', 'ugly', 'fair', 'worse', 'best', 'worst', 'better', 'clean', 'dirty', 'cheap', 'slow', 'fresh', 'tasty', 'lovely', 'friendly', 'smart', 'weak', 'dull', 'gross'];

/** Lexicon words that read as adjectives ("wonderful", "boring", "horrible", …) with |prior| ≥ `min`. */
export function sentimentAdjectives(min = 0.4): { word: string; polarity: 'positive' | 'negative' }[] {
  const prior = lexiconPrior('both');
  const adjective = /(ful|ous|ive|able|ible|ent|ant|ic|less|ing|ed|ish)$/;
  const notAdjective = /(ly|ity|ment|ness|ism|ery|ancy|ency|tion)$/;
  const out: { word: string; polarity: 'positive' | 'negative' }[] = [];
  for (const [word, v] of prior) {
    const plain = PLAIN_ADJECTIVES.includes(word);
    if (Math.abs(v) < min || word.length > 12 || !(plain || (adjective.test(word) && !notAdjective.test(word)))) continue;
    out.push({ word, polarity: v > 0 ? 'positive' : 'negative' });
  }
  return out.sort((a, b) => (a.word < b.word ? -1 : 1));
}

type Label = 'negative' | 'neutral' | 'positive';

// {t} = thing, {a} = adjective. Plain, negated and negated-with-emphasis forms, first person and third.
const PLAIN = ['The {t} was {a}.', 'The {t} is {a}.', 'I found the {t} {a}.', 'Honestly, the {t} was {a}.', 'My {t} was really {a}.', 'It was {a}.'];
const NEGATED = [
  'The {t} was not {a}.', "The {t} wasn't {a}.", "The {t} isn't {a}.", 'The {t} is not {a} at all.', "I don't think the {t} was {a}.",
  "It wasn't {a}.", 'It was not {a} at all.', 'Not {a}, the {t}.', 'I would not call the {t} {a}.', "The {t} was never {a}.",
  "I can't say the {t} was {a}.", "Sadly the {t} wasn't {a}.",
];

function fill(template: string, thing: string, adjective: string): string {
  const s = template.replace('{t}', thing).replace('{a}', adjective);
  return s[0]!.toUpperCase() + s.slice(1);
}

/**
 * `n` generated rows (deterministic for a seed): a third plain polar sentences, a third negated polar ones (label
 * flipped to the other pole for negatives → positive, positives → negative), a third neutral ones (plain or negated
 * neutral adjectives).
 */
export function everydayRows(n: number, seed = 1): [string, Label][] {
  const rng = createRng(seed * 104729 + 3);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const adjectives = sentimentAdjectives();
  const rows: [string, Label][] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    const thing = pick(THINGS);
    if (kind === 2) {
      rows.push([fill(pick(rng() < 0.5 ? PLAIN : NEGATED), thing, pick(NEUTRAL_ADJECTIVES)), 'neutral']);
      continue;
    }
    const { word, polarity } = pick(adjectives);
    if (kind === 0) rows.push([fill(pick(PLAIN), thing, word), polarity]);
    else rows.push([fill(pick(NEGATED), thing, word), polarity === 'positive' ? 'negative' : 'positive']);
  }
  const order = Int32Array.from({ length: rows.length }, (_, i) => i);
  shuffleInPlace(order, rng);
  return Array.from(order, (i) => rows[i]!);
}
