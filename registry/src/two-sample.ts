/**
 * Two-sample statistics over binned distributions (the same buckets on both sides), as drift.ts uses them:
 * PSI, a Kolmogorov-Smirnov test on the cumulative shares, a chi-squared test of homogeneity, and the
 * distribution tails they need. Pure code, no I/O.
 */

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

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
