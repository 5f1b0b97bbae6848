/**
 * Prediction history in D1 (table `predictions`, migrations/0002_history.sql): store rows idempotently
 * together with the per-minute metric rollups they add to (migrations/0004_metric_rollups.sql), in one
 * batch; list newest first with keyset pagination; count rows by source.
 */
import { parseVersionText, type HistoryPage, type HistoryQuery, type HistoryRecord, type HistorySyncResponse } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { bucketLe, CONFIDENCE_BUCKETS, LATENCY_BUCKETS_SECONDS } from './rollups.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/**
 * One statement per chunk of rows, the rows passed as ONE JSON parameter and expanded with
 * json_each: D1 counts queries per invocation (50 on the free plan) and caps bound parameters at 100
 * per statement, so row-per-statement inserts would not fit 500 rows. `WHERE true` lets SQLite parse
 * the upsert clause after a SELECT.
 */
const INSERT_SQL = `INSERT INTO predictions
  (id, created_at, model_name, model_version, label, score, probabilities, text_length, text_sha256, text, source, latency_ms, token_count, unknown_share, client_hash)
  SELECT r ->> '$[0]', r ->> '$[1]', r ->> '$[2]', r ->> '$[3]', r ->> '$[4]', r ->> '$[5]', r ->> '$[6]', r ->> '$[7]', r ->> '$[8]', r ->> '$[9]', r ->> '$[10]', r ->> '$[11]', r ->> '$[14]', r ->> '$[15]', ?2
  FROM (SELECT value AS r FROM json_each(?1)) WHERE true
  ON CONFLICT (id) DO NOTHING`;

/** The UTC minute of the D1 statement, the key of the metric rollups. */
const MINUTE = `strftime('%Y-%m-%dT%H:%MZ', 'now')`;
/**
 * The chunk's rows not yet stored (so a retried sync counts nothing twice). Run BEFORE the chunk's
 * INSERT in the same batch; ids within a batch are distinct (parseSyncBody refuses repeats).
 */
const FRESH = `fresh AS (SELECT value AS r FROM json_each(?1) WHERE NOT EXISTS (SELECT 1 FROM predictions WHERE id = value ->> '$[0]'))`;

/** Predictions by model, version, label and source, per minute (migrations/0004_metric_rollups.sql). */
const ROLLUP_PREDICTIONS_SQL = `WITH ${FRESH}
  INSERT INTO metric_predictions (minute, model_name, model_version, label, source, count)
  SELECT ${MINUTE}, r ->> '$[2]', r ->> '$[3]', r ->> '$[4]', r ->> '$[10]', COUNT(*)
  FROM fresh WHERE true GROUP BY r ->> '$[2]', r ->> '$[3]', r ->> '$[4]', r ->> '$[10]'
  ON CONFLICT (minute, model_name, model_version, label, source) DO UPDATE SET count = metric_predictions.count + excluded.count`;

/** The latency and confidence histograms' buckets ($[12], $[13]: the `le` rowTuple computed). */
const ROLLUP_HISTOGRAMS_SQL = `WITH ${FRESH},
  obs AS (
    SELECT 'latency_seconds' AS metric, r ->> '$[2]' AS model_name, r ->> '$[3]' AS model_version, r ->> '$[10]' AS source, r ->> '$[12]' AS le, (r ->> '$[11]') / 1000.0 AS v FROM fresh
    UNION ALL
    SELECT 'confidence', r ->> '$[2]', r ->> '$[3]', r ->> '$[10]', r ->> '$[13]', r ->> '$[5]' FROM fresh)
  INSERT INTO metric_histograms (minute, metric, model_name, model_version, source, le, count, sum)
  SELECT ${MINUTE}, metric, model_name, model_version, source, le, COUNT(*), SUM(v)
  FROM obs WHERE true GROUP BY metric, model_name, model_version, source, le
  ON CONFLICT (minute, metric, model_name, model_version, source, le) DO UPDATE
  SET count = metric_histograms.count + excluded.count, sum = metric_histograms.sum + excluded.sum`;

/** Error responses by route and status: ?1 is a JSON array of [route, status, count]. */
const ROLLUP_ERRORS_SQL = `INSERT INTO metric_errors (minute, route, status, count)
  SELECT ${MINUTE}, value ->> '$[0]', value ->> '$[1]', value ->> '$[2]' FROM json_each(?1) WHERE true
  ON CONFLICT (minute, route, status) DO UPDATE SET count = metric_errors.count + excluded.count`;

/** Largest JSON parameter per statement (D1 allows 2 MB strings; stay well below). */
const CHUNK_JSON_CHARS = 512 * 1024;

/**
 * `createdAt` is already fixed-width UTC: edge rows are made so, synced rows normalised by
 * parseSyncBody. Elements 12 and 13 are the row's latency and confidence buckets, for the rollups;
 * 14 and 15 its token count and unknown-token share (migrations/0006_drift_shadow.sql).
 */
function rowTuple(r: HistoryRecord): unknown[] {
  return [
    r.id, r.createdAt, r.model.name, r.model.version, r.label, r.score, JSON.stringify(r.probabilities), r.textLength, r.textSha256, r.text, r.source, r.latencyMs,
    bucketLe(r.latencyMs / 1000, LATENCY_BUCKETS_SECONDS), bucketLe(r.score, CONFIDENCE_BUCKETS),
    r.tokens ?? null, r.unknownShare ?? null,
  ];
}

function chunks(records: readonly HistoryRecord[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const r of records) {
    const json = JSON.stringify(rowTuple(r));
    if (current.length && size + json.length > CHUNK_JSON_CHARS) {
      out.push(`[${current.join(',')}]`);
      current = [];
      size = 0;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length) out.push(`[${current.join(',')}]`);
  return out;
}

/** An error response to count: route pattern, HTTP status, how many. */
export interface ErrorCount {
  route: string;
  status: number;
  count: number;
}

/**
 * Stores records, skipping ids already present (a retried sync), in one D1 batch (one transaction:
 * all rows or none), together with the metric rollups for the newly stored rows and `errors`. Three
 * statements per chunk (two rollups, the insert) plus one for the errors. Returns how many rows were
 * new and how many were duplicates. `createdAt` must be fixed-width UTC (Date#toISOString;
 * parseSyncBody normalises synced rows): parsing dates again here cost about 0.3 ms a row in workerd.
 * `clientHash`: who synced browser rows (clientHash()), null for edge rows.
 */
export async function insertHistory(db: D1Database, records: readonly HistoryRecord[], storeText: boolean, errors: readonly ErrorCount[] = [], clientHash: string | null = null): Promise<HistorySyncResponse> {
  if (records.length === 0 && errors.length === 0) return { inserted: 0, duplicates: 0 };
  const rows = storeText ? records : records.map((r) => ({ ...r, text: null }));
  const jsonChunks = chunks(rows);
  const statements = jsonChunks.flatMap((json) => [db.prepare(ROLLUP_PREDICTIONS_SQL).bind(json), db.prepare(ROLLUP_HISTOGRAMS_SQL).bind(json), db.prepare(INSERT_SQL).bind(json, clientHash)]);
  if (errors.length) statements.push(db.prepare(ROLLUP_ERRORS_SQL).bind(JSON.stringify(errors.map((e) => [e.route, e.status, e.count]))));
  const results = await db.batch(statements);
  let inserted = 0;
  for (let c = 0; c < jsonChunks.length; c++) inserted += results[3 * c + 2]!.meta.changes ?? 0;
  return { inserted, duplicates: records.length - inserted };
}

// ---- listing ------------------------------------------------------------------------------

interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return btoa(JSON.stringify([c.createdAt, c.id])).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeCursor(s: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(atob(s.replace(/-/g, '+').replace(/_/g, '/'))) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw ApiError.badRequest('cursor is not one this API returned: pass nextCursor from the previous page unchanged');
}

interface PredictionRow {
  id: string;
  created_at: string;
  model_name: string;
  model_version: number;
  label: string;
  score: number;
  probabilities: string;
  text_length: number;
  text_sha256: string;
  text: string | null;
  source: 'edge' | 'browser';
  latency_ms: number;
  token_count: number | null;
  unknown_share: number | null;
}

function toRecord(r: PredictionRow): HistoryRecord {
  return {
    id: r.id,
    createdAt: r.created_at,
    model: { name: r.model_name, version: r.model_version },
    label: r.label,
    score: r.score,
    probabilities: JSON.parse(r.probabilities) as Record<string, number>,
    textLength: r.text_length,
    textSha256: r.text_sha256,
    text: r.text,
    source: r.source,
    latencyMs: r.latency_ms,
    tokens: r.token_count,
    unknownShare: r.unknown_share,
  };
}

/** The SQL and parameters for one page (exported so a test can EXPLAIN QUERY PLAN it). */
export function historyQuerySql(q: HistoryQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `?${params.length}`;
  };
  if (q.label !== undefined) where.push(`label = ${p(q.label)}`);
  if (q.source !== undefined) where.push(`source = ${p(q.source)}`);
  if (q.model !== undefined) {
    const at = q.model.indexOf('@');
    if (at === -1) where.push(`model_name = ${p(q.model)}`);
    else {
      const version = parseVersionText(q.model.slice(at + 1));
      if (version === null) throw ApiError.badRequest(`model filter "${q.model}" is not NAME or NAME@VERSION`);
      where.push(`model_name = ${p(q.model.slice(0, at))}`, `model_version = ${p(version)}`);
    }
  }
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    const t = p(c.createdAt);
    where.push(`(created_at < ${t} OR (created_at = ${t} AND id < ${p(c.id)}))`);
  }
  // Only one filter column can drive the index walk; pick it explicitly so SQLite never falls back
  // to a scan plus a temporary sort on an unlucky estimate.
  const index = q.label !== undefined ? 'predictions_by_label' : q.model !== undefined ? 'predictions_by_model' : q.source !== undefined ? 'predictions_by_source' : 'predictions_by_time';
  const n = q.n ?? DEFAULT_PAGE;
  const sql = `SELECT * FROM predictions INDEXED BY ${index}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${p(n + 1)}`;
  return { sql, params };
}

/** One page of history, newest first. */
export async function listHistory(db: D1Database, q: HistoryQuery): Promise<HistoryPage> {
  const n = q.n ?? DEFAULT_PAGE;
  const { sql, params } = historyQuerySql({ ...q, n });
  const { results } = await db.prepare(sql).bind(...params).all<PredictionRow>();
  const items = results.slice(0, n).map(toRecord);
  const last = items[items.length - 1];
  return { items, nextCursor: results.length > n && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}


/** Rows in the history by source. */
export async function countHistoryBySource(db: D1Database): Promise<{ source: string; count: number }[]> {
  const { results } = await db.prepare(`SELECT source, COUNT(*) AS count FROM predictions GROUP BY source`).all<{ source: string; count: number }>();
  return results;
}
