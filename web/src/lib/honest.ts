/**
 * Honest answers: the one wording rule ("unsure", "unreliable") for every view that shows an answer, and what
 * "Why this label" shows from an occlusion of the text (registry occlusion.ts). Pure functions.
 */
import type { Attribution, Occlusion } from '@sentiment-edge/registry';

/**
 * Below this top-class probability the answer is shown as "Leaning …", muted, not as a bold verdict.
 * The default model is calibrated (a fitted temperature inside the graph), so its probabilities mean what
 * they say: at 0.6 the model is wrong about 4 times in 10, which is too often for a coloured verdict, and
 * with three classes a 0.6 top class still leaves 0.4 for the other two together.
 */
export const UNCERTAIN_BELOW = 0.6;

/** When more than this share of the words are unknown to the model ([UNK]), the answer is called unreliable. */
export const MOSTLY_UNKNOWN_ABOVE = 0.5;

export type Confidence = 'confident' | 'uncertain';

/** 'uncertain' below UNCERTAIN_BELOW, or when most words are unknown to the model (it is guessing from a few). */
export function confidenceOf(score: number, unknownShare = 0): Confidence {
  return score < UNCERTAIN_BELOW || mostlyUnknown(unknownShare) ? 'uncertain' : 'confident';
}

export function mostlyUnknown(unknownShare: number): boolean {
  return unknownShare > MOSTLY_UNKNOWN_ABOVE;
}

/** The language a text seems written in, and whether the model was trained on it (set by the language check). */
export interface LanguageNote {
  detected: string | null;
  supported: boolean;
  /** The plain sentence (registry languageNote: "This looks like Italian; this model knows …"), when there is one. */
  note?: string | null;
}

/** What the wording rule needs to know about one answer, wherever it is shown. */
export interface AnswerFacts {
  score: number;
  /** Share of the word pieces that are unknown to the model (registry tokenStats), when known. */
  unknownShare?: number | null;
  /** The language note, when the prediction carries one. */
  language?: LanguageNote | null;
}

export type NoteKind = 'unsure' | 'unknown-words' | 'language';

export interface AnswerNote {
  kind: NoteKind;
  /** For tables and the CSV column: "unsure", "unreliable: …". */
  short: string;
  /** A sentence for the result view. */
  sentence: string;
}

export interface AnswerWording {
  /** 'uncertain' (shown as "Leaning …", muted) when any note applies. */
  confidence: Confidence;
  /** Most words unknown, or a language the model was not trained on: the answer is not worth much. */
  unreliable: boolean;
  notes: AnswerNote[];
  /** The notes' short forms joined with "; " ('' for a confident answer): the batch table, the history and both CSVs. */
  note: string;
}

/**
 * The one wording rule for an answer, applied in the result, the history, the batch table and the CSV
 * downloads: "unsure" below UNCERTAIN_BELOW, "unreliable" when most words are unknown to the model or the
 * text is in a language the model was not trained on.
 */
export function answerWording(a: AnswerFacts): AnswerWording {
  const notes: AnswerNote[] = [];
  if (a.score < UNCERTAIN_BELOW) notes.push({ kind: 'unsure', short: 'unsure', sentence: 'The model is not sure.' });
  if (mostlyUnknown(a.unknownShare ?? 0)) {
    notes.push({ kind: 'unknown-words', short: 'unreliable: most words are unknown to the model', sentence: 'Most of these words are unknown to the model; the answer is unreliable.' });
  }
  if (a.language && !a.language.supported) {
    notes.push({
      kind: 'language',
      short: `unreliable: written in a language the model was not trained on (${a.language.detected ?? 'unknown'})`,
      sentence: a.language.note ?? 'This text looks like a language the model was not trained on; the answer is unreliable.',
    });
  }
  return {
    confidence: notes.length ? 'uncertain' : 'confident',
    unreliable: notes.some((n) => n.kind !== 'unsure'),
    notes,
    note: notes.map((n) => n.short).join('; '),
  };
}

/** A piece of the text: plain, or a word that pushed the answer towards (`for`) or away from (`against`) it. */
export interface Span {
  text: string;
  push?: 'for' | 'against';
}

/** A word or sentence that moved the answer, as shown: its text and its effect (probability points, > 0 towards the answer). */
export interface Pushed {
  text: string;
  effect: number;
}

/** "Why this label" as shown, from an occlusion (registry occlude) of the text. */
export interface WhyView {
  by: Occlusion['by'];
  /** Word explanations: the text cut into spans, the chosen words marked. Sentences (long texts): null, the text is not printed again. */
  spans: Span[] | null;
  /** Strongest first. */
  towards: Pushed[];
  against: Pushed[];
}

/** Longest sentence shown whole under "Why this label"; longer ones are cut with "…". */
const SENTENCE_SHOWN = 160;

/**
 * Chooses what "Why this label" shows: the `top` units (5 words, or 3 sentences of a long text) whose removal
 * moved the answer's probability most, each at least `minEffect` (1 point) and `minShare` of the strongest, so
 * that words with a faint effect are not marked beside those that decided.
 */
export function whyView(text: string, o: Pick<Occlusion, 'by' | 'units'>, minEffect = 0.01, minShare = 0.3): WhyView {
  const top = o.by === 'word' ? 5 : 3;
  const strongest = Math.max(0, ...o.units.map((u) => Math.abs(u.effect)));
  const floor = Math.max(minEffect, minShare * strongest);
  const chosen = o.units
    .filter((u) => Math.abs(u.effect) >= floor)
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect))
    .slice(0, top);
  const shown = (u: Attribution): Pushed => {
    const t = text.slice(u.start, u.end);
    return { text: t.length > SENTENCE_SHOWN ? `${t.slice(0, SENTENCE_SHOWN - 1).trimEnd()}…` : t, effect: u.effect };
  };
  const towards = chosen.filter((u) => u.effect > 0).map(shown);
  const against = chosen.filter((u) => u.effect < 0).map(shown);
  if (o.by === 'sentence') return { by: o.by, spans: null, towards, against };
  const marked = new Set(chosen);
  const spans: Span[] = [];
  let pos = 0;
  for (const u of o.units) {
    if (!marked.has(u)) continue;
    if (u.start > pos) spans.push({ text: text.slice(pos, u.start) });
    spans.push({ text: text.slice(u.start, u.end), push: u.effect > 0 ? 'for' : 'against' });
    pos = u.end;
  }
  if (pos < text.length) spans.push({ text: text.slice(pos) });
  return { by: o.by, spans, towards, against };
}
