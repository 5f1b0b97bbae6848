/**
 * Reference profiles and drift statistics, one implementation for training (which computes a
 * version's profile on its evaluation data at publish time) and the Worker (which compares recent
 * history with it on a schedule): binned histograms, PSI, a two-sample Kolmogorov-Smirnov test on
 * the binned distributions, a chi-squared test of homogeneity for the label mix, and CBPE (the
 * expected accuracy from the top-class probabilities, with a confidence band). Pure code, no I/O.
 */
import { z } from 'zod';
export { tokenStats, type TokenStats } from './token-stats.ts';

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

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
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

/** Share used for an empty bucket in PSI (as Evidently does), so that ln(0) never occurs. */
export const PSI_EMPTY_SHARE = 0.0001;

/**
 * Population stability index of two binned distributions over the same buckets:
 * Σ (cur% − ref%) · ln(cur% / ref%), empty buckets counted as PSI_EMPTY_SHARE.
 */
export function psi(reference: readonly number[], current: readonly number[]): number {
  sameLength(reference, current);
  const [nr, nc] = [sum(reference), sum(current)];
  if (nr === 0 || nc === 0) return NaN;
  let out = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / nr || PSI_EMPTY_SHARE;
    const c = current[i]! / nc || PSI_EMPTY_SHARE;
    out += (c - r) * Math.log(c / r);
  }
  return out;
}

export interface TestResult {
  statistic: number;
  pValue: number;
}

/**
 * Two-sample Kolmogorov-Smirnov test on binned data: D is the largest gap between the two
 * cumulative distributions at the bucket bounds (the exact D of the raw samples when every sample
 * value is a bound, a lower bound of it otherwise), and the p-value is the asymptotic Kolmogorov
 * distribution at (√n + 0.12 + 0.11/√n)·D with n = n₁n₂/(n₁+n₂) (Stephens' approximation, as
 * Numerical Recipes' kstwo and scipy's ks_2samp method="asymp" before 1.5).
 */
export function ksBinned(reference: readonly number[], current: readonly number[]): TestResult {
  sameLength(reference, current);
  const [nr, nc] = [sum(reference), sum(current)];
  if (nr === 0 || nc === 0) return { statistic: NaN, pValue: NaN };
  let [cr, cc, d] = [0, 0, 0];
  for (let i = 0; i < reference.length; i++) {
    cr += reference[i]!;
    cc += current[i]!;
    d = Math.max(d, Math.abs(cr / nr - cc / nc));
  }
  const en = Math.sqrt((nr * nc) / (nr + nc));
  return { statistic: d, pValue: kolmogorovSurvival((en + 0.12 + 0.11 / en) * d) };
}

/** P(K > λ) for the Kolmogorov distribution: 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} (scipy.stats.kstwobign.sf). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1; // the series converges slowly here and the answer is 1 to 1e-8
  let total = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    total += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, total));
}

/**
 * Chi-squared test of homogeneity of two count vectors over the same categories (the 2×k
 * contingency table, no continuity correction: scipy.stats.chi2_contingency(…, correction=False)).
 * Categories empty in both are left out of the degrees of freedom.
 */
export function chiSquared(reference: readonly number[], current: readonly number[]): TestResult & { dof: number } {
  sameLength(reference, current);
  const [nr, nc] = [sum(reference), sum(current)];
  const n = nr + nc;
  if (nr === 0 || nc === 0) return { statistic: NaN, pValue: NaN, dof: 0 };
  let stat = 0;
  let used = 0;
  for (let i = 0; i < reference.length; i++) {
    const col = reference[i]! + current[i]!;
    if (col === 0) continue;
    used++;
    const er = (nr * col) / n;
    const ec = (nc * col) / n;
    stat += (reference[i]! - er) ** 2 / er + (current[i]! - ec) ** 2 / ec;
  }
  const dof = used - 1;
  return { statistic: stat, pValue: dof > 0 ? chiSquaredSurvival(stat, dof) : 1, dof };
}

/** P(X > x) for X ~ χ²(dof): the regularized upper incomplete gamma Q(dof/2, x/2) (scipy.stats.chi2.sf). */
export function chiSquaredSurvival(x: number, dof: number): number {
  if (x <= 0) return 1;
  return gammaQ(dof / 2, x / 2);
}

/** ln Γ(x), Lanczos (g = 7, n = 9), accurate to about 1e-15 for x > 0. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x): series below a + 1, Lentz continued fraction above (Numerical Recipes 6.2). */
function gammaQ(a: number, x: number): number {
  const lnPre = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let total = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      total += term;
      if (Math.abs(term) < Math.abs(total) * 1e-15) break;
    }
    return Math.max(0, 1 - total * Math.exp(lnPre));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(lnPre) * h);
}

function sameLength(a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length) throw new RangeError(`the two distributions have ${a.length} and ${b.length} buckets; they must share one binning`);
}

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
