/**
 * Prometheus metrics for GET /metrics, of two kinds:
 * - fleet-wide, from D1: per-minute rollups (migrations/0004_metric_rollups.sql) written in the same
 *   batch as the prediction rows they count (db/history.ts) and summed here: predictions, the
 *   prediction latency and confidence histograms, errors by route and status, history rows;
 * - per isolate, from this isolate's memory, named `sentiment_isolate_*`: request latency, model
 *   loads, loaded sessions and uptime. They start at zero with each isolate.
 */
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_SECONDS, type RollupTotals } from '../db/rollups.ts';

class Counter {
  readonly values = new Map<string, number>();
  inc(labels: Record<string, string | number>, by = 1): void {
    const k = labelString(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
}

class Histogram {
  readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(readonly bounds: readonly number[]) {}
  observe(labels: Record<string, string | number>, v: number): void {
    const k = labelString(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) s.buckets[i]!++;
    s.sum += v;
    s.count++;
  }
}

function esc(v: string | number): string {
  return String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function labelString(labels: Record<string, string | number>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',');
}

export const metrics = {
  /**
   * When this isolate served its first request (ms), or null before. Not the module's load time:
   * workerd evaluates the module scope at deploy time, where Date.now() is 0.
   */
  firstRequestAt: null as number | null,
  requestLatency: new Histogram(LATENCY_BUCKETS_SECONDS),
  modelLoads: new Counter(),
  modelLoadSeconds: new Histogram(LATENCY_BUCKETS_SECONDS),
};

/** Notes that this isolate serves a request (index.ts, for every request): starts the uptime clock. */
export function noteRequest(now = Date.now()): void {
  metrics.firstRequestAt ??= now;
}

export function recordPredictLatency(model: string, version: number, ms: number): void {
  metrics.requestLatency.observe({ model, version }, ms / 1000);
}

export function recordModelLoad(model: string, version: number, precision: string, ms: number): void {
  metrics.modelLoads.inc({ model, version, precision });
  metrics.modelLoadSeconds.observe({ model, version, precision }, ms / 1000);
}

/** Forgets the per-isolate metrics (tests). */
export function resetMetrics(): void {
  metrics.modelLoads.values.clear();
  metrics.requestLatency.series.clear();
  metrics.modelLoadSeconds.series.clear();
}

function counterLines(name: string, help: string, c: Counter): string[] {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
  for (const [k, v] of c.values) out.push(`${name}{${k}} ${v}`);
  return out;
}

function histogramLines(name: string, help: string, h: Histogram): string[] {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const [k, s] of h.series) {
    const sep = k ? ',' : '';
    h.bounds.forEach((le, i) => out.push(`${name}_bucket{${k}${sep}le="${le}"} ${s.buckets[i]}`));
    out.push(`${name}_bucket{${k}${sep}le="+Inf"} ${s.count}`, `${name}_sum{${k}} ${s.sum}`, `${name}_count{${k}} ${s.count}`);
  }
  return out;
}

// ---- fleet-wide totals from the D1 rollups (db/rollups.ts) ------------------------------------

function rollupHistogramLines(name: string, help: string, rows: RollupTotals['histograms'], bounds: readonly number[]): string[] {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  const series = new Map<string, { byLe: Map<string, number>; sum: number; count: number }>();
  for (const r of rows) {
    const k = labelString({ model: r.model_name, version: r.model_version, source: r.source });
    let s = series.get(k);
    if (!s) series.set(k, (s = { byLe: new Map(), sum: 0, count: 0 }));
    s.byLe.set(r.le, (s.byLe.get(r.le) ?? 0) + r.count);
    s.sum += r.sum;
    s.count += r.count;
  }
  for (const [k, s] of series) {
    let cumulative = 0;
    for (const le of bounds) {
      cumulative += s.byLe.get(String(le)) ?? 0;
      out.push(`${name}_bucket{${k},le="${le}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${k},le="+Inf"} ${s.count}`, `${name}_sum{${k}} ${s.sum}`, `${name}_count{${k}} ${s.count}`);
  }
  return out;
}

function rollupLines(t: RollupTotals): string[] {
  return [
    '# HELP sentiment_predictions_total Predictions made at the edge or synced from browsers (new rows only), by model, version, label and source (all isolates, from D1).',
    '# TYPE sentiment_predictions_total counter',
    ...t.predictions.map((r) => `sentiment_predictions_total{${labelString({ model: r.model_name, version: r.model_version, label: r.label, source: r.source })}} ${r.count}`),
    ...rollupHistogramLines(
      'sentiment_prediction_latency_seconds',
      'Latency of each prediction as its history row records it (edge: the /predict request it was part of; browser: in-browser inference), all isolates, from D1.',
      t.histograms.filter((r) => r.metric === 'latency_seconds'),
      LATENCY_BUCKETS_SECONDS,
    ),
    ...rollupHistogramLines('sentiment_prediction_confidence', 'Probability of the predicted label, per prediction (all isolates, from D1).', t.histograms.filter((r) => r.metric === 'confidence'), CONFIDENCE_BUCKETS),
    '# HELP sentiment_errors_total Error responses of the serving routes by route and HTTP status (all isolates, from D1).',
    '# TYPE sentiment_errors_total counter',
    ...t.errors.map((r) => `sentiment_errors_total{${labelString({ route: r.route, status: r.status })}} ${r.count}`),
  ];
}

export interface MetricsSnapshotExtras {
  /** Lines of the monitoring gauges (monitor-gauges.ts), or null when they could not be read. */
  monitor?: string[] | null;
  loadedSessions: { model: string; version: number; precision: string }[];
  /** Rows in the history table by source (from D1), or null when the query failed. */
  historyRows: { source: string; count: number }[] | null;
  /** The D1 rollups' totals, or null when reading them failed. */
  rollups: RollupTotals | null;
  /** Now (ms), for the uptime. */
  now?: number;
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(extra: MetricsSnapshotExtras): string {
  const now = extra.now ?? Date.now();
  const uptime = metrics.firstRequestAt === null ? 0 : Math.max(0, now - metrics.firstRequestAt) / 1000;
  const lines = [
    ...(extra.rollups ? rollupLines(extra.rollups) : []),
    '# HELP sentiment_rollups_up 1 when the D1 metric rollups could be read for this scrape, else 0 (their series are then absent).',
    '# TYPE sentiment_rollups_up gauge',
    `sentiment_rollups_up ${extra.rollups ? 1 : 0}`,
    ...(extra.monitor ?? []),
    ...histogramLines('sentiment_isolate_predict_request_seconds', 'Time /predict spent resolving, loading and running the model, per request (this isolate only).', metrics.requestLatency),
    ...counterLines('sentiment_isolate_model_loads_total', 'ONNX sessions created from R2 (this isolate only).', metrics.modelLoads),
    ...histogramLines('sentiment_isolate_model_load_seconds', 'Time to fetch a model from R2 and create its session (this isolate only).', metrics.modelLoadSeconds),
    '# HELP sentiment_isolate_loaded_sessions ONNX sessions held in this isolate.',
    '# TYPE sentiment_isolate_loaded_sessions gauge',
    `sentiment_isolate_loaded_sessions ${extra.loadedSessions.length}`,
    '# HELP sentiment_isolate_loaded_session 1 for each model version/precision loaded in this isolate.',
    '# TYPE sentiment_isolate_loaded_session gauge',
    ...extra.loadedSessions.map((s) => `sentiment_isolate_loaded_session{${labelString(s)}} 1`),
    '# HELP sentiment_isolate_uptime_seconds Seconds since this isolate served its first request.',
    '# TYPE sentiment_isolate_uptime_seconds gauge',
    `sentiment_isolate_uptime_seconds ${uptime.toFixed(3)}`,
  ];
  if (extra.historyRows) {
    lines.push('# HELP sentiment_history_rows Rows in the D1 prediction history by source (all isolates).', '# TYPE sentiment_history_rows gauge');
    for (const r of extra.historyRows) lines.push(`sentiment_history_rows{source="${esc(r.source)}"} ${r.count}`);
  }
  return lines.join('\n') + '\n';
}
