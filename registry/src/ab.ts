/**
 * Statistics of the A/B readout (GET /api/v1/ab, ab-api.ts): Wilson score intervals for one
 * proportion and Newcombe's hybrid score interval (his method 10, 1998) for the difference of two
 * independent proportions, a nearest-rank quantile, and label-mix distances. Newcombe's interval
 * keeps close to its nominal 95 % coverage with small samples and accuracies near 0 or 1, where the
 * Wald interval is too narrow (or collapses to a point at 0/n and n/n).
 */

/** The two-sided 95 % normal quantile. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval of `k` successes in `n` trials (null when n = 0). */
export function wilsonInterval(k: number, n: number, z = Z95): Interval | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const d = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / d;
  const half = (z / d) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The difference p1 − p2 of two independent proportions (k1/n1 − k2/n2) with Newcombe's hybrid score
 * interval built from the two Wilson intervals (null when either n is 0).
 */
export function newcombeDifference(k1: number, n1: number, k2: number, n2: number, z = Z95): ({ difference: number } & Interval) | null {
  const w1 = wilsonInterval(k1, n1, z);
  const w2 = wilsonInterval(k2, n2, z);
  if (!w1 || !w2) return null;
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const difference = p1 - p2;
  return {
    difference,
    low: difference - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: difference + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

/** 0-based index of the nearest-rank q-quantile (0 < q ≤ 1) in n sorted values. */
export function nearestRankIndex(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** Shares of each label (counts / total); {} when there are none. */
export function labelShares(counts: Readonly<Record<string, number>>): Record<string, number> {
  let total = 0;
  for (const c of Object.values(counts)) total += c;
  if (total === 0) return {};
  return Object.fromEntries(Object.entries(counts).map(([l, c]) => [l, c / total]));
}

/** Per-label difference b − a of two label mixes, and their total variation distance (½ Σ |b − a|). */
export function labelMixDifference(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): { perLabel: Record<string, number>; totalVariation: number } {
  const labels = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const perLabel: Record<string, number> = {};
  let tv = 0;
  for (const l of labels) {
    perLabel[l] = (b[l] ?? 0) - (a[l] ?? 0);
    tv += Math.abs(perLabel[l]);
  }
  return { perLabel, totalVariation: tv / 2 };
}
