/**
 * Prometheus metrics for GET /metrics. Counters and the latency histogram live in this isolate's
 * memory: each Worker isolate counts only the requests it served and starts at zero when it is
 * created, so sum over scrapes/isolates (or use the D1-backed `sentiment_history_rows` gauge, which
 * is global) rather than reading one scrape as the whole fleet.
 */

/** Upper bounds (ms) of the predict latency histogram. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 3, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000] as const;

class Counter {
  readonly values = new Map<string, number>();
  inc(labels: Record<string, string | number>, by = 1): void {
    const k = labelString(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
}

class Histogram {
  readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  observe(labels: Record<string, string | number>, v: number): void {
    const k = labelString(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (v <= LATENCY_BUCKETS_MS[i]!) s.buckets[i]!++;
    s.sum += v;
    s.count++;
  }
}

function esc(v: string | number): string {
  return String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelString(labels: Record<string, string | number>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',');
}

export const metrics = {
  startedAt: Date.now(),
  predictions: new Counter(),
  requests: new Counter(),
  errors: new Counter(),
  latency: new Histogram(),
  modelLoads: new Counter(),
  modelLoadMs: new Histogram(),
};

export function recordPredictions(model: string, version: number, source: 'edge' | 'browser', count: number): void {
  metrics.predictions.inc({ model, version, source }, count);
}

export function recordPredictLatency(model: string, version: number, ms: number): void {
  metrics.latency.observe({ model, version }, ms);
}

/** The error code an answer without an ApiError stands for (Hono's 404 for a route that does not exist, …). */
export function codeForStatus(status: number): string {
  const codes: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'not_found', 409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'rate_limited', 503: 'not_ready' };
  return codes[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}

export function recordError(code: string, status: number): void {
  metrics.errors.inc({ code, status });
}

export function recordModelLoad(model: string, version: number, precision: string, ms: number): void {
  metrics.modelLoads.inc({ model, version, precision });
  metrics.modelLoadMs.observe({ model, version, precision }, ms);
}

/** Forgets everything (tests). */
export function resetMetrics(): void {
  for (const m of [metrics.predictions, metrics.requests, metrics.errors, metrics.modelLoads]) m.values.clear();
  metrics.latency.series.clear();
  metrics.modelLoadMs.series.clear();
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
    LATENCY_BUCKETS_MS.forEach((le, i) => out.push(`${name}_bucket{${k}${sep}le="${le}"} ${s.buckets[i]}`));
    out.push(`${name}_bucket{${k}${sep}le="+Inf"} ${s.count}`, `${name}_sum{${k}} ${s.sum}`, `${name}_count{${k}} ${s.count}`);
  }
  return out;
}

export interface MetricsSnapshotExtras {
  loadedSessions: { model: string; version: number; precision: string }[];
  /** Rows in the history table by source (from D1), or null when the query failed. */
  historyRows: { source: string; count: number }[] | null;
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(extra: MetricsSnapshotExtras): string {
  const lines = [
    ...counterLines('sentiment_predictions_total', 'Predictions made or synced, by model, version and source (this isolate).', metrics.predictions),
    ...histogramLines('sentiment_predict_latency_ms', 'Time /predict spent resolving, loading and running the model, per request (this isolate).', metrics.latency),
    ...counterLines('sentiment_errors_total', 'Error responses of the serving routes by code and HTTP status (this isolate).', metrics.errors),
    ...counterLines('sentiment_model_loads_total', 'ONNX sessions created from R2 (this isolate).', metrics.modelLoads),
    ...histogramLines('sentiment_model_load_ms', 'Time to fetch a model from R2 and create its session (this isolate).', metrics.modelLoadMs),
    '# HELP sentiment_loaded_sessions ONNX sessions held in this isolate.',
    '# TYPE sentiment_loaded_sessions gauge',
    `sentiment_loaded_sessions ${extra.loadedSessions.length}`,
    '# HELP sentiment_loaded_session 1 for each model version/precision loaded in this isolate.',
    '# TYPE sentiment_loaded_session gauge',
    ...extra.loadedSessions.map((s) => `sentiment_loaded_session{${labelString(s)}} 1`),
    '# HELP sentiment_isolate_uptime_seconds Seconds since this isolate started counting.',
    '# TYPE sentiment_isolate_uptime_seconds gauge',
    `sentiment_isolate_uptime_seconds ${((Date.now() - metrics.startedAt) / 1000).toFixed(3)}`,
  ];
  if (extra.historyRows) {
    lines.push('# HELP sentiment_history_rows Rows in the D1 prediction history by source (all isolates).', '# TYPE sentiment_history_rows gauge');
    for (const r of extra.historyRows) lines.push(`sentiment_history_rows{source="${esc(r.source)}"} ${r.count}`);
  }
  return lines.join('\n') + '\n';
}
