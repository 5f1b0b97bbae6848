/**
 * Honest answers: when a prediction is shown as a verdict or as "leaning", the share of words the model
 * does not know, which words pushed the answer (from the graph's per-token contributions) and where they
 * are in the text. Pure functions, shared by the worker and the UI.
 */

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

/** A word as the model saw it: WordPiece pieces joined ("un", "##like" → "unlike"), special tokens dropped. */
export interface WordScore {
  word: string;
  /** The word is the tokenizer's unknown token. */
  unknown: boolean;
  /** What the word added to the predicted label's logit minus the mean of the other labels' (> 0 pushes towards it). */
  push: number;
}

export interface TokenScores {
  token: string;
  scores: Record<string, number>;
}

const SPECIAL = /^\[(CLS|SEP|PAD|MASK)\]$/;
export const UNK_TOKEN = '[UNK]';

/** Groups WordPiece tokens into words and scores each word for `label` against the other labels. */
export function wordScores(tokens: readonly TokenScores[], label: string): WordScore[] {
  const words: WordScore[] = [];
  for (const t of tokens) {
    if (SPECIAL.test(t.token)) continue;
    const others = Object.keys(t.scores).filter((l) => l !== label);
    const rest = others.length ? others.reduce((s, l) => s + t.scores[l]!, 0) / others.length : 0;
    const push = (t.scores[label] ?? 0) - rest;
    const last = words[words.length - 1];
    if (t.token.startsWith('##') && last) {
      last.word += t.token.slice(2);
      last.push += push;
    } else {
      words.push({ word: t.token, unknown: t.token === UNK_TOKEN, push });
    }
  }
  return words;
}

/** Share of the words that are unknown to the model (0 when there are no words). */
export function unknownShare(words: readonly { unknown: boolean }[]): number {
  if (words.length === 0) return 0;
  return words.filter((w) => w.unknown).length / words.length;
}

/** A piece of the text: plain, or a word that pushed the answer towards (`for`) or away from (`against`) it. */
export interface Span {
  text: string;
  push?: 'for' | 'against';
}

/**
 * Cuts `text` into spans with the `top` words of largest |push| marked: only pushes of at least `minPush` and
 * at least `minShare` of the largest |push|, so that filler words with a faint lean are not marked beside
 * the words that decided. Words are found in order, case-insensitively, after the previous one (the tokenizer
 * lowercases); a word not found (unknown, accents stripped) is skipped without losing the rest.
 */
export function highlightSpans(text: string, words: readonly WordScore[], top = 5, minPush = 0.05, minShare = 0.3): Span[] {
  const lower = text.toLowerCase();
  const located: { start: number; end: number; w: WordScore }[] = [];
  let from = 0;
  for (const w of words) {
    if (w.unknown) continue;
    const at = lower.indexOf(w.word.toLowerCase(), from);
    if (at < 0) continue;
    located.push({ start: at, end: at + w.word.length, w });
    from = at + w.word.length;
  }
  const strongest = Math.max(0, ...located.map((l) => Math.abs(l.w.push)));
  const floor = Math.max(minPush, minShare * strongest);
  const chosen = new Set(
    located
      .filter((l) => Math.abs(l.w.push) >= floor)
      .sort((a, b) => Math.abs(b.w.push) - Math.abs(a.w.push))
      .slice(0, top),
  );
  const spans: Span[] = [];
  let pos = 0;
  for (const l of located) {
    if (!chosen.has(l)) continue;
    if (l.start > pos) spans.push({ text: text.slice(pos, l.start) });
    spans.push({ text: text.slice(l.start, l.end), push: l.w.push > 0 ? 'for' : 'against' });
    pos = l.end;
  }
  if (pos < text.length) spans.push({ text: text.slice(pos) });
  return spans;
}
