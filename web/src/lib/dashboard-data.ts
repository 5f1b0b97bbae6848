/**
 * Figures for the dashboard from this device's history (pure functions, so they are tested without a
 * browser): predictions over time by label, a confidence histogram, the label mix per model version,
 * the share of uncertain answers (honest.ts's threshold) and latency percentiles.
 */
import { confidenceOf, UNCERTAIN_BELOW } from './honest.ts';

/** The fields of a history row the dashboard reads. */
export interface DashboardRow {
  createdAt: string;
  label: string;
  score: number;
  latencyMs: number;
  source: string;
  model: { name: string; version: number };
}

export interface Series {
  /** Bucket or category names along the x axis. */
  x: string[];
  /** One count per x for each label. */
  byLabel: Record<string, number[]>;
}

export type Bucket = 'hour' | 'day';

/** Hourly buckets when the rows span at most two days, daily buckets otherwise. */
export function bucketFor(rows: readonly DashboardRow[]): Bucket {
  if (rows.length < 2) return 'hour';
  const ts = rows.map((r) => Date.parse(r.createdAt));
  return Math.max(...ts) - Math.min(...ts) <= 2 * 86_400_000 ? 'hour' : 'day';
}

/** A row's bucket key in UTC: "2026-11-30" or "2026-11-30 14:00". */
export function bucketKey(iso: string, bucket: Bucket): string {
  const d = new Date(iso).toISOString();
  return bucket === 'day' ? d.slice(0, 10) : `${d.slice(0, 10)} ${d.slice(11, 13)}:00`;
}

/** Labels in a stable order: by count, most first, then by name. */
export function labelOrder(rows: readonly DashboardRow[]): string[] {
  const n = new Map<string, number>();
  for (const r of rows) n.set(r.label, (n.get(r.label) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l]) => l);
}

function countBy(rows: readonly DashboardRow[], key: (r: DashboardRow) => string, sortX: (a: string, b: string) => number): Series {
  const labels = labelOrder(rows);
  const x = [...new Set(rows.map(key))].sort(sortX);
  const at = new Map(x.map((k, i) => [k, i]));
  const byLabel = Object.fromEntries(labels.map((l) => [l, x.map(() => 0)]));
  for (const r of rows) byLabel[r.label]![at.get(key(r))!]! += 1;
  return { x, byLabel };
}

/** Predictions per time bucket (oldest first) and label. */
export function overTime(rows: readonly DashboardRow[], bucket = bucketFor(rows)): Series & { bucket: Bucket } {
  return { ...countBy(rows, (r) => bucketKey(r.createdAt, bucket), (a, b) => a.localeCompare(b)), bucket };
}

export const versionKey = (m: { name: string; version: number }) => `${m.name} v${m.version}`;

/** Label counts per model version (oldest version first). */
export function mixByVersion(rows: readonly DashboardRow[]): Series {
  const ver = new Map(rows.map((r) => [versionKey(r.model), r.model]));
  return countBy(rows, (r) => versionKey(r.model), (a, b) => {
    const ma = ver.get(a)!;
    const mb = ver.get(b)!;
    return ma.name.localeCompare(mb.name) || ma.version - mb.version;
  });
}

export interface Histogram {
  /** Bin edges: bin i holds lo[i] ≤ score < lo[i] + width (the last bin includes 1). */
  lo: number[];
  width: number;
  counts: number[];
  /** Bin names such as "50–60%". */
  names: string[];
}

/** Top-class probability in `bins` equal bins over [0, 1]. */
export function confidenceHistogram(rows: readonly DashboardRow[], bins = 10): Histogram {
  const width = 1 / bins;
  const lo = Array.from({ length: bins }, (_, i) => i * width);
  const counts = lo.map(() => 0);
  for (const r of rows) counts[Math.min(bins - 1, Math.max(0, Math.floor(r.score * bins + 1e-9)))]! += 1;
  const p = (x: number) => Math.round(x * 100);
  return { lo, width, counts, names: lo.map((l) => `${p(l)}–${p(l + width)}%`) };
}

export interface Summary {
  total: number;
  uncertain: number;
  /** uncertain / total (0 when there are no rows). */
  uncertainShare: number;
  threshold: number;
  /** Latency percentiles in ms per source ("browser", "edge"). */
  latency: Record<string, { n: number; p50: number; p95: number }>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * How many answers were uncertain by honest.ts's rule on the stored top-class probability. The history
 * does not keep the share of unknown words, so answers that were uncertain only for that reason count as
 * confident here.
 */
export function summary(rows: readonly DashboardRow[]): Summary {
  const uncertain = rows.filter((r) => confidenceOf(r.score) === 'uncertain').length;
  const bySource = new Map<string, number[]>();
  for (const r of rows) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r.latencyMs]);
  const latency = Object.fromEntries(
    [...bySource.entries()].map(([s, xs]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return [s, { n: xs.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) }];
    }),
  );
  return { total: rows.length, uncertain, uncertainShare: rows.length ? uncertain / rows.length : 0, threshold: UNCERTAIN_BELOW, latency };
}
