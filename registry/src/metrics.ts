/**
 * Classification metrics: accuracy, per-class P/R/F1, macro averages, confusion matrix, ECE.
 * The one implementation: training (`pnpm evaluate`, the gate) and the Worker (POST /api/v1/evaluations)
 * both compute their numbers here, so an evaluation stored by the Worker equals the CLI's.
 */

export interface ClassMetricValues {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  accuracy: number;
  macroF1: number;
  macroRecall: number;
  perClass: Record<string, ClassMetricValues>;
  /** confusion[true][predicted], in label order. */
  confusion: number[][];
  labels: string[];
  /** Expected calibration error of the top-class confidence (15 equal-width bins). */
  ece: number;
  rows: number;
  /** Per-example correctness (for paired tests between two models on the same rows). */
  correct: boolean[];
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Expected calibration error: bins (k/B, (k+1)/B] over the top-class confidence; sum over bins of
 * |accuracy − mean confidence| weighted by the bin's share of examples.
 */
export function expectedCalibrationError(confidences: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): number {
  const n = confidences.length;
  if (n === 0) return 0;
  const count = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  const accSum = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const c = confidences[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]! += 1;
    confSum[b]! += c;
    accSum[b]! += correct[i] ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0) ece += (count[b]! / n) * Math.abs(accSum[b]! / count[b]! - confSum[b]! / count[b]!);
  }
  return ece;
}

/** Metrics from gold label ids and per-example probability vectors (or predicted ids + confidences). */
export function computeMetrics(
  gold: ArrayLike<number>,
  probabilities: ReadonlyArray<ArrayLike<number>>,
  labels: readonly string[],
): Metrics {
  const L = labels.length;
  const n = gold.length;
  if (probabilities.length !== n) throw new Error(`computeMetrics: ${n} gold labels but ${probabilities.length} predictions`);
  const confusion = Array.from({ length: L }, () => new Array<number>(L).fill(0));
  const correct: boolean[] = new Array(n);
  const conf = new Float64Array(n);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    const pred = argmax(p);
    const g = gold[i]!;
    confusion[g]![pred]! += 1;
    correct[i] = pred === g;
    if (correct[i]) hits++;
    conf[i] = p[pred]!;
  }
  const perClass: Record<string, ClassMetricValues> = {};
  let f1Sum = 0;
  let recallSum = 0;
  for (let c = 0; c < L; c++) {
    const tp = confusion[c]![c]!;
    let predicted = 0;
    let support = 0;
    for (let k = 0; k < L; k++) {
      predicted += confusion[k]![c]!;
      support += confusion[c]![k]!;
    }
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[labels[c]!] = { precision, recall, f1, support };
    f1Sum += f1;
    recallSum += recall;
  }
  return {
    accuracy: n > 0 ? hits / n : 0,
    macroF1: L > 0 ? f1Sum / L : 0,
    macroRecall: L > 0 ? recallSum / L : 0,
    perClass,
    confusion,
    labels: [...labels],
    ece: expectedCalibrationError(conf, correct),
    rows: n,
    correct,
  };
}

/**
 * How a model's answers on a labelled file are scored. 'polar': a model with negative, neutral and positive
 * on a file with only negative and positive rows is scored on P(positive) vs P(negative), renormalised (as
 * `pnpm evaluate --suite` does): scored 3-way, every neutral answer would count wrong and neutral's F1 of 0
 * would pull the macro average down for a label the file cannot have. 'argmax': every other case.
 */
export type Scoring = 'polar' | 'argmax';

export const SCORING_TEXT: Readonly<Record<Scoring, string>> = {
  polar: 'polar: P(positive) vs P(negative)',
  argmax: 'the most probable label',
};

/** 'polar' when the model has negative, neutral and positive and no gold label is neutral; else 'argmax'. */
export function scoringFor(gold: ArrayLike<number>, labels: readonly string[]): Scoring {
  const neu = labels.indexOf('neutral');
  if (neu < 0 || labels.length !== 3 || !labels.includes('negative') || !labels.includes('positive')) return 'argmax';
  for (let i = 0; i < gold.length; i++) if (gold[i] === neu) return 'argmax';
  return 'polar';
}

/**
 * Metrics scored as `scoringFor` says. Polar metrics are those of negative vs positive (per-class figures for
 * those two); the confusion matrix keeps the model's label order, with an empty neutral row and column.
 */
export function scoreLabelled(gold: ArrayLike<number>, probabilities: ReadonlyArray<ArrayLike<number>>, labels: readonly string[]): Metrics & { scoring: Scoring } {
  const scoring = scoringFor(gold, labels);
  if (scoring === 'argmax') return { ...computeMetrics(gold, probabilities, labels), scoring };
  const neg = labels.indexOf('negative');
  const pos = labels.indexOf('positive');
  const polarGold = Int32Array.from({ length: gold.length }, (_, i) => (gold[i] === pos ? 1 : 0));
  const vectors = probabilities.map((p) => {
    const s = p[neg]! + p[pos]!;
    return s > 0 ? [p[neg]! / s, p[pos]! / s] : [0.5, 0.5];
  });
  const m = computeMetrics(polarGold, vectors, ['negative', 'positive']);
  const confusion = labels.map(() => new Array<number>(labels.length).fill(0));
  const at = [neg, pos];
  m.confusion.forEach((row, g) => row.forEach((n, p) => (confusion[at[g]!]![at[p]!] = n)));
  return { ...m, confusion, labels: [...labels], scoring };
}

/**
 * How a stored evaluation was scored, from its own numbers: polar metrics (scoreLabelled) have per-class figures
 * for negative and positive only, although the model also has neutral.
 */
export function scoringOf(ev: { perClass: Record<string, unknown> }, labels: readonly string[]): Scoring {
  return labels.includes('neutral') && !('neutral' in ev.perClass) ? 'polar' : 'argmax';
}

/**
 * A 3-label model scored by its most probable label on a file with no neutral rows (evaluations recorded
 * before scoreLabelled): its macro-F1 averages in neutral's 0 and is not comparable with polar figures.
 */
export function scoredThreeWayOnPolarFile(ev: { perClass: Record<string, { support: number }> }, labels: readonly string[]): boolean {
  return scoringOf(ev, labels) === 'argmax' && scoringFor([], labels) === 'polar' && ev.perClass.neutral?.support === 0;
}

/** Metrics without the per-example array (for JSON output). */
export function summarizeMetrics(m: Metrics): Omit<Metrics, 'correct'> {
  const { correct: _correct, ...rest } = m;
  return rest;
}
