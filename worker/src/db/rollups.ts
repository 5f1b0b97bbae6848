/**
 * The per-minute metric rollups (migrations/0004_metric_rollups.sql): `metric_predictions`,
 * `metric_histograms` and `metric_errors`. Rows are added in the batch that stores the history rows
 * they count (db/history.ts), summed here for GET /metrics, and compacted per day by retention
 * (db/retention.ts). The histogram bucket bounds are part of what is stored (each row's `le`).
 */

/** Upper bounds (seconds) of the latency histograms. */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;
/** Upper bounds of the prediction confidence (the top label's probability) histogram. */
export const CONFIDENCE_BUCKETS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1] as const;

/** The `le` of the smallest bucket holding `v` ('+Inf' past the last bound), as stored in D1. */
export function bucketLe(v: number, bounds: readonly number[]): string {
  for (const b of bounds) if (v <= b) return String(b);
  return '+Inf';
}

export interface RollupTotals {
  predictions: { model_name: string; model_version: number; label: string; source: string; count: number }[];
  /** Non-cumulative buckets, as stored. */
  histograms: { metric: 'latency_seconds' | 'confidence'; model_name: string; model_version: number; source: string; le: string; count: number; sum: number }[];
  errors: { route: string; status: number; count: number }[];
}

/** Sums every minute of the rollups (three queries, one D1 round trip). */
export async function readRollupTotals(db: D1Database): Promise<RollupTotals> {
  const [p, h, e] = await db.batch([
    db.prepare(`SELECT model_name, model_version, label, source, SUM(count) AS count FROM metric_predictions GROUP BY model_name, model_version, label, source ORDER BY model_name, model_version, label, source`),
    db.prepare(`SELECT metric, model_name, model_version, source, le, SUM(count) AS count, SUM(sum) AS sum FROM metric_histograms GROUP BY metric, model_name, model_version, source, le ORDER BY metric, model_name, model_version, source`),
    db.prepare(`SELECT route, status, SUM(count) AS count FROM metric_errors GROUP BY route, status ORDER BY route, status`),
  ]);
  return { predictions: p!.results as RollupTotals['predictions'], histograms: h!.results as RollupTotals['histograms'], errors: e!.results as RollupTotals['errors'] };
}
