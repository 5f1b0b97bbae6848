/**
 * The evaluation suite: one model scored on every evaluation and test set in the shared data directory
 * plus the CheckList suite. Any model that gives class probabilities per text can be scored (our ONNX
 * models through the predictor, and the peers of bench/peers.ts), so the numbers are comparable.
 *
 * Scoring rules:
 * - "polar" rows (gold negative or positive) are scored on P(positive) vs P(negative), renormalised
 *   over the two, for every model: 2-label and 3-label models are comparable on them.
 * - sets with neutral rows are also scored 3-way (argmax over the three) for models with a neutral label.
 * - per set: accuracy, macro-F1, macro-recall, per-class recall, ECE (15 bins) from metrics.ts.
 * - summary: the mean over the evaluation-only sets (uci ×3 and sentiment140 polar) and the worst
 *   polar entry by macro-F1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  checklistTexts,
  loadChecklist,
  sampleChecklist,
  scoreChecklist,
  type ChecklistData,
  type ChecklistResult,
  type ClassProbs,
  type ChecklistSampleOptions,
} from './checklist.ts';
import { loadDataset } from './data.ts';
import { computeMetrics } from './metrics.ts';

/** Anything that turns texts into class probabilities (in the order of `labels`). */
export interface ProbabilityModel {
  labels: readonly string[];
  predict(texts: readonly string[]): Promise<ArrayLike<number>[]>;
}

export interface SuiteSetSpec {
  /** Path under the data directory, without .csv, e.g. `uci/imdb`. */
  id: string;
  /** Evaluation-only set (no training split exists): it enters the summary mean. */
  evaluationOnly: boolean;
}

/** Every evaluation and test set of ../shared/data (see its README), in table order. */
export const SUITE_SETS: readonly SuiteSetSpec[] = [
  { id: 'sst2/validation', evaluationOnly: false },
  { id: 'tweeteval/val', evaluationOnly: false },
  { id: 'airline/test', evaluationOnly: false },
  { id: 'finance/test', evaluationOnly: false },
  { id: 'yelp/test', evaluationOnly: false },
  { id: 'amazon/food-test', evaluationOnly: false },
  { id: 'amazon/alexa-test', evaluationOnly: false },
  { id: 'goemotions/test', evaluationOnly: false },
  // French movie reviews (the default recipe trains on allocine/train.csv).
  { id: 'allocine/test', evaluationOnly: false },
  { id: 'uci/amazon', evaluationOnly: true },
  { id: 'uci/imdb', evaluationOnly: true },
  { id: 'uci/yelp', evaluationOnly: true },
  { id: 'sentiment140/test', evaluationOnly: true },
];

export type Scoring = 'polar' | '3-way';

export interface SetResult {
  set: string;
  scoring: Scoring;
  evaluationOnly: boolean;
  rows: number;
  accuracy: number;
  macroF1: number;
  macroRecall: number;
  /** Recall per gold class scored (negative, positive; and neutral for 3-way). */
  recall: Record<string, number>;
  ece: number;
  /** Share of the set's polar rows that a 3-label model labels neutral (polar scoring only; null for 2-label models). */
  neutralShare: number | null;
  sha256: string;
}

export interface SuiteSummary {
  /** Mean over the evaluation-only polar entries (uci ×3, sentiment140 polar). */
  evaluationOnlyMean: { accuracy: number; macroF1: number; sets: string[] };
  /** The polar entry with the lowest macro-F1. */
  worst: { set: string; scoring: Scoring; macroF1: number; accuracy: number };
}

export interface SuiteResult {
  labels: string[];
  threeWay: boolean;
  dataDir: string;
  sets: SetResult[];
  summary: SuiteSummary;
  checklist: ChecklistResult | null;
  /** Distinct texts predicted and the time it took (seconds). */
  texts: number;
  seconds: number;
}

export interface SuiteOptions {
  dataDir: string;
  sets?: readonly SuiteSetSpec[];
  /** Score CheckList (default true when dataDir/checklist exists). */
  checklist?: boolean;
  checklistSample?: ChecklistSampleOptions;
  /** Texts per predict call. */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

const NEG = 'negative';
const NEU = 'neutral';
const POS = 'positive';

/** Maps a model's probability vector (its label order) to negative / neutral / positive. */
export function classProbsMapper(labels: readonly string[]): (p: ArrayLike<number>) => ClassProbs {
  const neg = labels.indexOf(NEG);
  const pos = labels.indexOf(POS);
  const neu = labels.indexOf(NEU);
  const other = labels.filter((l) => l !== NEG && l !== POS && l !== NEU);
  if (neg < 0 || pos < 0 || other.length > 0) {
    throw new Error(`the suite scores models whose labels are negative, positive and optionally neutral; this model has ${labels.join(', ')}`);
  }
  return (p) => ({ negative: p[neg]!, positive: p[pos]!, neutral: neu >= 0 ? p[neu]! : 0 });
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Scores one labelled set given the gold labels and the model's probabilities per row: a polar entry
 * (always) and, for a set with neutral rows and a 3-label model, a 3-way entry.
 */
export function scoreSet(spec: SuiteSetSpec, gold: readonly string[], probs: readonly ClassProbs[], threeWay: boolean, sha256 = ''): SetResult[] {
  if (gold.length !== probs.length) throw new Error(`${spec.id}: ${gold.length} gold labels but ${probs.length} predictions`);
  for (const [i, g] of gold.entries()) {
    if (g !== NEG && g !== POS && g !== NEU) throw new Error(`${spec.id}: row ${i + 1}: label "${g}" is not negative, neutral or positive`);
  }
  const entry = (scoring: Scoring, labels: string[], goldIds: number[], vectors: number[][], neutralShare: number | null): SetResult => {
    const m = computeMetrics(goldIds, vectors, labels);
    return {
      set: spec.id,
      scoring,
      evaluationOnly: spec.evaluationOnly,
      rows: m.rows,
      accuracy: round(m.accuracy),
      macroF1: round(m.macroF1),
      macroRecall: round(m.macroRecall),
      recall: Object.fromEntries(labels.map((l) => [l, round(m.perClass[l]!.recall)])),
      ece: round(m.ece),
      neutralShare: neutralShare === null ? null : round(neutralShare),
      sha256,
    };
  };
  const out: SetResult[] = [];
  const polar = gold.flatMap((g, i) => (g === NEU ? [] : [i]));
  if (polar.length > 0) {
    const vectors = polar.map((i) => {
      const p = probs[i]!;
      const s = p.negative + p.positive;
      return s > 0 ? [p.negative / s, p.positive / s] : [0.5, 0.5];
    });
    const neutralShare = threeWay ? polar.filter((i) => probs[i]!.neutral > probs[i]!.negative && probs[i]!.neutral > probs[i]!.positive).length / polar.length : null;
    out.push(entry('polar', [NEG, POS], polar.map((i) => (gold[i] === POS ? 1 : 0)), vectors, neutralShare));
  }
  if (threeWay && polar.length < gold.length) {
    const ids = gold.map((g) => (g === NEG ? 0 : g === NEU ? 1 : 2));
    out.push(entry('3-way', [NEG, NEU, POS], ids, probs.map((p) => [p.negative, p.neutral, p.positive]), null));
  }
  return out;
}

/** Mean over the evaluation-only polar entries and the worst polar entry. */
export function summarizeSets(sets: readonly SetResult[]): SuiteSummary {
  const polar = sets.filter((s) => s.scoring === 'polar');
  if (polar.length === 0) throw new Error('suite: no polar entries to summarise');
  const evalOnly = polar.filter((s) => s.evaluationOnly);
  const mean = (f: (s: SetResult) => number) => (evalOnly.length ? round(evalOnly.reduce((a, s) => a + f(s), 0) / evalOnly.length) : 0);
  const worst = polar.reduce((w, s) => (s.macroF1 < w.macroF1 ? s : w));
  return {
    evaluationOnlyMean: { accuracy: mean((s) => s.accuracy), macroF1: mean((s) => s.macroF1), sets: evalOnly.map((s) => s.set) },
    worst: { set: worst.set, scoring: worst.scoring, macroF1: worst.macroF1, accuracy: worst.accuracy },
  };
}

/**
 * Runs the suite: loads every set present (a missing file is an error naming it), predicts every
 * distinct text once (sorted by length, so batches pad little), then scores.
 */
export async function runSuite(model: ProbabilityModel, options: SuiteOptions): Promise<SuiteResult> {
  const started = performance.now();
  const toClass = classProbsMapper(model.labels);
  const threeWay = model.labels.includes(NEU);
  const specs = options.sets ?? SUITE_SETS;
  const sets = specs.map((spec) => {
    const path = join(options.dataDir, `${spec.id}.csv`);
    if (!existsSync(path)) throw new Error(`suite: ${path} is missing (data directory ${options.dataDir}; set SENTIMENT_DATA_DIR to point elsewhere)`);
    return { spec, ds: loadDataset(path) };
  });
  const checklistDir = join(options.dataDir, 'checklist');
  let checklist: { data: ChecklistData; sampled: string | null } | null = null;
  if (options.checklist ?? existsSync(checklistDir)) checklist = sampleChecklist(loadChecklist(checklistDir), options.checklistSample);

  const unique = new Set<string>();
  for (const { ds } of sets) for (const t of ds.texts) unique.add(t);
  if (checklist) for (const t of checklistTexts(checklist.data)) unique.add(t);
  const texts = [...unique].sort((a, b) => a.length - b.length);
  const chunk = options.chunk ?? 4096;
  const byText = new Map<string, ClassProbs>();
  for (let i = 0; i < texts.length; i += chunk) {
    const part = texts.slice(i, i + chunk);
    const probs = await model.predict(part);
    if (probs.length !== part.length) throw new Error(`suite: the model returned ${probs.length} predictions for ${part.length} texts`);
    part.forEach((t, k) => byText.set(t, toClass(probs[k]!)));
    options.onProgress?.(Math.min(i + chunk, texts.length), texts.length);
  }
  const lookup = (t: string): ClassProbs => byText.get(t)!;

  const results = sets.flatMap(({ spec, ds }) => scoreSet(spec, ds.labels, ds.texts.map(lookup), threeWay, ds.sha256));
  return {
    labels: [...model.labels],
    threeWay,
    dataDir: options.dataDir,
    sets: results,
    summary: summarizeSets(results),
    checklist: checklist ? scoreChecklist(checklist.data, lookup, threeWay, checklist.sampled) : null,
    texts: texts.length,
    seconds: round((performance.now() - started) / 1000),
  };
}
