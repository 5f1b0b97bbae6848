/**
 * Paired significance tests over per-example correctness of two models scored on the same rows.
 * McNemar's exact test uses only the discordant pairs, so it is cheap and has no randomness;
 * the paired bootstrap gives a confidence interval for the accuracy difference.
 */

export interface PairedComparison {
  /** Rows where only the candidate is right. */
  candidateOnly: number;
  /** Rows where only the baseline is right. */
  baselineOnly: number;
  /** Two-sided exact McNemar p-value (binomial test on the discordant pairs). */
  pValue: number;
}

export function mcnemar(candidate: ArrayLike<boolean | number>, baseline: ArrayLike<boolean | number>): PairedComparison {
  if (candidate.length !== baseline.length) {
    throw new RangeError(`paired test needs the same rows: ${candidate.length} vs ${baseline.length} examples`);
  }
  let b = 0;
  let c = 0;
  for (let i = 0; i < candidate.length; i++) {
    const x = Boolean(candidate[i]);
    const y = Boolean(baseline[i]);
    if (x && !y) b++;
    else if (!x && y) c++;
  }
  return { candidateOnly: b, baselineOnly: c, pValue: exactBinomialTwoSided(Math.min(b, c), b + c) };
}

/** P(X ≤ k or X ≥ n-k) for X ~ Binomial(n, 1/2), computed in log space so large n does not overflow. */
export function exactBinomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  let tail = 0;
  let logC = 0; // log C(n, 0)
  const logHalfN = n * Math.log(0.5);
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logC + logHalfN);
  }
  return Math.min(1, 2 * tail);
}

/** Seeded mulberry32 PRNG in [0, 1): the bootstrap (and training) must give the same answer on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapResult {
  /** Observed accuracy difference, candidate − baseline. */
  delta: number;
  /** 95% percentile interval of the difference. */
  low: number;
  high: number;
  /** One-sided p-value: share of resamples where the candidate is not better. */
  pValue: number;
}

export function pairedBootstrap(
  candidate: ArrayLike<boolean | number>,
  baseline: ArrayLike<boolean | number>,
  { samples = 2000, seed = 1 }: { samples?: number; seed?: number } = {},
): BootstrapResult {
  const n = candidate.length;
  if (n !== baseline.length) throw new RangeError(`paired test needs the same rows: ${n} vs ${baseline.length} examples`);
  if (n === 0) return { delta: 0, low: 0, high: 0, pValue: 1 };
  const diff = new Int8Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    diff[i] = (candidate[i] ? 1 : 0) - (baseline[i] ? 1 : 0);
    total += diff[i]!;
  }
  const rand = mulberry32(seed);
  const deltas = new Float64Array(samples);
  let notBetter = 0;
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diff[Math.floor(rand() * n)]!;
    deltas[s] = sum / n;
    if (sum <= 0) notBetter++;
  }
  deltas.sort();
  return {
    delta: total / n,
    low: deltas[Math.floor(0.025 * (samples - 1))]!,
    high: deltas[Math.ceil(0.975 * (samples - 1))]!,
    pValue: (notBetter + 1) / (samples + 1),
  };
}
