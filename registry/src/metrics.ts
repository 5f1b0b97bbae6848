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


/** Metrics without the per-example array (for JSON output). */
export function summarizeMetrics(m: Metrics): Omit<Metrics, 'correct'> {
  const { correct: _correct, ...rest } = m;
  return rest;
}
