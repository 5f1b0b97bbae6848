/**
 * Reference profiles and drift statistics, one implementation for training (which computes a
 * version's profile on its evaluation data at publish time) and the Worker (which compares recent
 * history with it on a schedule): binned histograms, PSI, a two-sample Kolmogorov-Smirnov test on
 * the binned distributions, a chi-squared test of homogeneity for the label mix, and CBPE (the
 * expected accuracy from the top-class probabilities, with a confidence band). Pure code, no I/O.
 */
import { z } from 'zod';
import { chiSquared, ksBinned, psi, sum, type TestResult } from './two-sample.ts';
export { tokenStats, type TokenStats } from './token-stats.ts';
export * from './two-sample.ts';

// ---- the features ----------------------------------------------------------------------------

/**
 * Bucket upper bounds per continuous feature. A value goes to the first bucket whose bound is ≥ it;
 * values above the last bound go to one extra bucket, so `counts` has `bounds.length + 1` entries.
 * - tokens: word pieces of the text as the model sees it, special tokens ([CLS], [SEP]) left out,
 *   after truncation to the model's maximum length;
 * - unknownShare: the share of those pieces that are the tokenizer's unknown token ([UNK]); 0 for an
 *   empty text; the first bucket holds exactly 0 (most texts);
 * - confidence: the top-class probability.
 */
export const PROFILE_BOUNDS = {
  tokens: [2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256],
  unknownShare: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1],
  confidence: [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1],
} as const satisfies Record<string, readonly number[]>;

export type ContinuousFeature = keyof typeof PROFILE_BOUNDS;
export const CONTINUOUS_FEATURES = Object.keys(PROFILE_BOUNDS) as ContinuousFeature[];
/** Every feature a drift report checks: the continuous ones and the predicted label. */
export type DriftFeature = ContinuousFeature | 'label';
export const DRIFT_FEATURES: readonly DriftFeature[] = [...CONTINUOUS_FEATURES, 'label'];

const Count = z.number().int().nonnegative();

export const BinnedHistogram = z
  .object({ bounds: z.array(z.number()).min(1).max(64), counts: z.array(Count).min(2).max(65) })
  .refine((h) => h.counts.length === h.bounds.length + 1, 'counts has one entry per bound plus one for values above the last bound')
  .refine((h) => h.bounds.every((b, i) => i === 0 || b > h.bounds[i - 1]!), 'bounds must increase');
export type BinnedHistogram = z.infer<typeof BinnedHistogram>;

/**
 * What a version's predictions looked like on its evaluation data: the reference that live traffic
 * is compared with. Optional in the manifest (versions published before it have none: the drift job
 * then reports `no_reference` for them).
 */
export const ReferenceProfile = z
  .object({
    /** Rows profiled (the evaluation file's rows). */
    rows: z.number().int().positive(),
    tokens: BinnedHistogram,
    unknownShare: BinnedHistogram,
    confidence: BinnedHistogram,
    /** Predicted label → rows. */
    labels: z.record(z.string().min(1).max(64), Count),
    /** Mean top-class probability (CBPE's expected accuracy on the evaluation data). */
    meanConfidence: z.number().min(0).max(1),
  })
  .refine((p) => CONTINUOUS_FEATURES.every((f) => sum(p[f].counts) === p.rows) && sum(Object.values(p.labels)) === p.rows, 'every histogram and the label mix must count `rows` rows');
export type ReferenceProfile = z.infer<typeof ReferenceProfile>;

/** One scored text, as the profile and the drift job see it. */
export interface ProfileRow {
  tokens: number;
  unknownShare: number;
  confidence: number;
  label: string;
}

/** Index of the bucket holding `v` (see PROFILE_BOUNDS). */
export function bucketIndex(v: number, bounds: readonly number[]): number {
  for (let i = 0; i < bounds.length; i++) if (v <= bounds[i]!) return i;
  return bounds.length;
}

export function binned(values: Iterable<number>, bounds: readonly number[]): BinnedHistogram {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) counts[bucketIndex(v, bounds)]!++;
  return { bounds: [...bounds], counts };
}

/** The reference profile of scored rows; `labels` are the model's (each gets a count, 0 included). */
export function buildProfile(rows: readonly ProfileRow[], labels: readonly string[]): ReferenceProfile {
  if (rows.length === 0) throw new RangeError('a reference profile needs at least one row');
  const mix: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const r of rows) mix[r.label] = (mix[r.label] ?? 0) + 1;
  return {
    rows: rows.length,
    tokens: binned(rows.map((r) => r.tokens), PROFILE_BOUNDS.tokens),
    unknownShare: binned(rows.map((r) => r.unknownShare), PROFILE_BOUNDS.unknownShare),
    confidence: binned(rows.map((r) => r.confidence), PROFILE_BOUNDS.confidence),
    labels: mix,
    meanConfidence: sum(rows.map((r) => r.confidence)) / rows.length,
  };
}

// ---- statistics ------------------------------------------------------------------------------

// ---- CBPE: expected accuracy without labels --------------------------------------------------

export interface AccuracyEstimate {
  /** Mean top-class probability: the expected accuracy if the model is calibrated. */
  estimate: number;
  /** 95 % band: each prediction is right with its own probability p (a Poisson-binomial count), so the accuracy's standard error is √Σp(1−p) / n. */
  low: number;
  high: number;
  rows: number;
}

/** Confidence-based performance estimation (NannyML's CBPE for accuracy) from top-class probabilities. */
export function estimateAccuracy(confidences: readonly number[]): AccuracyEstimate | null {
  let [total, variance] = [0, 0];
  for (const p of confidences) {
    total += p;
    variance += p * (1 - p);
  }
  return estimateAccuracyFromSums(confidences.length, total, variance);
}

/** CBPE from sums a database can compute: n, Σp and Σp(1−p) of the top-class probabilities p. */
export function estimateAccuracyFromSums(rows: number, sumP: number, sumPQ: number): AccuracyEstimate | null {
  if (rows === 0) return null;
  const mean = sumP / rows;
  const half = (1.959963984540054 * Math.sqrt(Math.max(0, sumPQ))) / rows;
  return { estimate: mean, low: Math.max(0, mean - half), high: Math.min(1, mean + half), rows };
}

// ---- a drift check ----------------------------------------------------------------------------

export interface DriftThresholds {
  /** PSI at or above which a feature counts as shifted (Evidently's default 0.1). */
  psi: number;
  /** Significance level of the KS / chi-squared test (Evidently's default 0.05). */
  pValue: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = { psi: 0.1, pValue: 0.05 };

export interface FeatureCheck {
  feature: DriftFeature;
  /** PSI, its threshold, and whether it crossed it. */
  psi: number;
  psiThreshold: number;
  /** The test beside PSI: KS for continuous features, chi-squared for the label mix. */
  test: 'ks' | 'chi-squared';
  statistic: number;
  pValue: number;
  pValueThreshold: number;
  /**
   * Drift: PSI ≥ its threshold AND the test's p-value < its threshold. PSI alone fires on sampling
   * noise in small windows (its expected value without any shift is about (buckets − 1)(1/n₁ + 1/n₂));
   * the test alone fires on negligible shifts in large ones. Both together: a shift that is big and real.
   */
  drifted: boolean;
  reference: number[];
  current: number[];
  /** Bucket bounds (continuous) or category names (label), in the order of `reference`/`current`. */
  buckets: (number | string)[];
}

/**
 * A window of live predictions, binned like the reference: bucket counts per continuous feature
 * (over the same bounds as the profile's) and predicted-label counts. Rows without token statistics
 * (synced by an old client) are simply absent from `tokens` and `unknownShare`.
 */
export interface WindowCounts {
  tokens: number[];
  unknownShare: number[];
  confidence: number[];
  labels: Record<string, number>;
}

/** Bins rows into WindowCounts over the profile's bounds (the Worker does the same in SQL). */
export function windowCounts(profile: ReferenceProfile, rows: readonly Partial<ProfileRow>[]): WindowCounts {
  const values = (f: ContinuousFeature) => rows.flatMap((r) => (typeof r[f] === 'number' ? [r[f]] : []));
  const labels: Record<string, number> = {};
  for (const r of rows) if (r.label !== undefined) labels[r.label] = (labels[r.label] ?? 0) + 1;
  return {
    tokens: binned(values('tokens'), profile.tokens.bounds).counts,
    unknownShare: binned(values('unknownShare'), profile.unknownShare.bounds).counts,
    confidence: binned(values('confidence'), profile.confidence.bounds).counts,
    labels,
  };
}

/** Why a feature has no verdict: fewer than `minRows` current rows carry it. */
export interface SkippedFeature {
  feature: DriftFeature;
  skipped: 'insufficient_rows';
  rows: number;
  minRows: number;
}

/**
 * Checks one window against a reference profile, one check per feature (features with fewer than
 * `minRows` rows in the window are skipped, not judged).
 */
export function checkDrift(profile: ReferenceProfile, current: WindowCounts, thresholds: DriftThresholds = DEFAULT_DRIFT_THRESHOLDS, minRows = 1): (FeatureCheck | SkippedFeature)[] {
  const out: (FeatureCheck | SkippedFeature)[] = [];
  for (const feature of CONTINUOUS_FEATURES) {
    const ref = profile[feature];
    const cur = current[feature];
    const rows = sum(cur);
    if (rows < Math.max(1, minRows)) {
      out.push({ feature, skipped: 'insufficient_rows', rows, minRows });
      continue;
    }
    out.push(finish(feature, 'ks', psi(ref.counts, cur), ksBinned(ref.counts, cur), [...ref.counts], [...cur], [...ref.bounds], thresholds));
  }
  const names = [...new Set([...Object.keys(profile.labels), ...Object.keys(current.labels)])].sort();
  const ref = names.map((l) => profile.labels[l] ?? 0);
  const cur = names.map((l) => current.labels[l] ?? 0);
  const rows = sum(cur);
  if (rows < Math.max(1, minRows)) out.push({ feature: 'label', skipped: 'insufficient_rows', rows, minRows });
  else out.push(finish('label', 'chi-squared', psi(ref, cur), chiSquared(ref, cur), ref, cur, names, thresholds));
  return out;
}

export function isSkipped(c: FeatureCheck | SkippedFeature): c is SkippedFeature {
  return 'skipped' in c;
}

function finish(feature: DriftFeature, test: FeatureCheck['test'], p: number, t: TestResult, reference: number[], current: number[], buckets: (number | string)[], th: DriftThresholds): FeatureCheck {
  return {
    feature,
    psi: p,
    psiThreshold: th.psi,
    test,
    statistic: t.statistic,
    pValue: t.pValue,
    pValueThreshold: th.pValue,
    drifted: p >= th.psi && t.pValue < th.pValue,
    reference,
    current,
    buckets,
  };
}
