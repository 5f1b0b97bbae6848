/**
 * "Why this label" by occlusion (leave one out; Zeiler & Fergus 2014, "Visualizing and understanding
 * convolutional networks"; for text, Li, Monroe & Jurafsky 2016, "Understanding neural networks through
 * representation erasure"): each whole word — or, in a long text, each sentence — is removed in turn and the
 * text classified again. A unit's effect is how much the probability of the answer shown drops without it.
 * It needs nothing from the graph (any model, additive or not, on any engine) and says exactly what it
 * measures: "without this word the model would be X points less sure of its answer".
 */
import type { Prediction } from './serving-api.ts';
import { toPrediction } from './classifier.ts';

/** A piece of the text by its position: a whole word ("don't", "well-made") or a sentence. */
export interface TextUnit {
  start: number;
  end: number;
}

/** Whole words: letters and digits, with inner apostrophes and hyphens kept ("don't" is one word, not "do"). */
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
/** A sentence: up to and including its end mark(s), or a line. */
const SENTENCE = /[^.!?\n]*(?:[.!?]+|\n|$)/gu;

export function wordUnits(text: string): TextUnit[] {
  return [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

export function sentenceUnits(text: string): TextUnit[] {
  const out: TextUnit[] = [];
  for (const m of text.matchAll(SENTENCE)) {
    const lead = m[0].length - m[0].trimStart().length;
    const body = m[0].trim();
    if (/[\p{L}\p{N}]/u.test(body)) out.push({ start: m.index + lead, end: m.index + lead + body.length });
  }
  return out;
}

export interface Attribution extends TextUnit {
  /**
   * P(answer | text) − P(answer | text without this unit), in probability (−1…1): > 0 the unit pushed towards
   * the answer shown, < 0 it pushed away from it (towards another label).
   */
  effect: number;
}

export interface Occlusion {
  prediction: Prediction;
  /** 'word' for texts of at most `maxWords` words, else 'sentence'. */
  by: 'word' | 'sentence';
  /** Every unit of the text, in order. */
  units: Attribution[];
}

export interface OcclusionOptions {
  /** Texts with more words than this are explained by sentence (default 60). */
  maxWords?: number;
  /** At most this many units are removed; consecutive sentences are grouped to stay under it (default 48). */
  maxUnits?: number;
}

/** What occlusion needs from a classifier (the registry's Classifier, the training predictor). */
export interface ProbabilityModel {
  readonly labels: readonly string[];
  probabilities(texts: readonly string[]): Promise<Float32Array[]>;
}

/** The text with one unit taken out. */
export function withoutUnit(text: string, u: TextUnit): string {
  return text.slice(0, u.start) + text.slice(u.end);
}

/** Explains a text's answer by removing each whole word (or, for long texts, each sentence) in turn: one batched run. */
export async function occlude(model: ProbabilityModel, text: string, opts: OcclusionOptions = {}): Promise<Occlusion> {
  const words = wordUnits(text);
  const by = words.length <= (opts.maxWords ?? 60) ? 'word' : 'sentence';
  const units = by === 'word' ? words : groupUnits(sentenceUnits(text), opts.maxUnits ?? 48);
  const probs = await model.probabilities([text, ...units.map((u) => withoutUnit(text, u))]);
  const prediction = toPrediction(probs[0]!, model.labels);
  const k = model.labels.indexOf(prediction.label);
  return { prediction, by, units: units.map((u, i) => ({ ...u, effect: probs[0]![k]! - probs[i + 1]![k]! })) };
}

/** Joins consecutive units so that there are at most `max` of them. */
function groupUnits(units: readonly TextUnit[], max: number): TextUnit[] {
  const size = Math.ceil(units.length / max);
  if (size <= 1) return [...units];
  const out: TextUnit[] = [];
  for (let i = 0; i < units.length; i += size) out.push({ start: units[i]!.start, end: units[Math.min(i + size, units.length) - 1]!.end });
  return out;
}
