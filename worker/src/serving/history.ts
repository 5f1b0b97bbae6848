/**
 * Prediction history in D1 (table `predictions`, migrations/0002_history.sql): record edge
 * predictions, sync browser-made ones idempotently, list newest first with keyset pagination.
 * Data functions only: they take the D1 database and throw ApiError; routes live in routes.ts.
 */
import { MAX_HISTORY_BATCH, ModelName, wholeNumberParam, parseVersionText, sha256Hex, Version, type HistoryPage, type HistoryQuery, type HistoryRecord, type HistorySyncResponse } from '@sentiment-edge/registry';
import { z } from 'zod';
import { ApiError } from '../errors.ts';
import { bucketLe, CONFIDENCE_BUCKETS, LATENCY_BUCKETS_SECONDS } from './metrics.ts';
import { textProblem } from './text.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

const Probability = z.number().min(0).max(1);

/** Oldest `createdAt` accepted from a client (the product did not exist before). */
export const HISTORY_MIN_TIME = Date.UTC(2020, 0, 1);
/** How far ahead of the Worker's clock a client's `createdAt` may be (clock skew). */
export const HISTORY_MAX_FUTURE_MS = 5 * 60_000;
/** |sum of probabilities - 1| allowed (float32 softmax). */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;
/** |score - probabilities[label]| allowed. */
export const SCORE_TOLERANCE = 1e-6;

/**
 * A history record as a browser sends it (POST /api/v1/history). Checks that need only the row are
 * here; `parseSyncBody` adds the ones that need the batch (repeated ids), the clock, the text's hash
 * and D1 (the model version and its labels).
 */
export const HistoryRecordInput = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'ids are 8-64 characters of A-Z a-z 0-9 _ - (a UUID is fine)'),
    createdAt: z.iso.datetime({ offset: true }),
    model: z.object({ name: ModelName, version: Version }),
    label: z.string().min(1).max(64),
    score: Probability,
    probabilities: z.record(z.string().min(1).max(64), Probability).refine((p) => Object.keys(p).length >= 1 && Object.keys(p).length <= 64, 'probabilities needs 1-64 labels'),
    textLength: z.number().int().nonnegative().max(1_000_000),
    textSha256: z.string().regex(/^[0-9a-f]{64}$/, 'textSha256 is 64 lower-case hex digits'),
    text: z.string().max(5000).nullable().optional(),
    // The Worker records its own predictions (source "edge"); clients may only add browser rows.
    source: z.literal('browser', { error: 'source must be "browser": this route stores predictions made in the browser; the Worker records its own ("edge") rows' }).default('browser'),
    latencyMs: z.number().nonnegative().max(3_600_000),
    // What drift monitoring needs (registry drift.ts), optional for clients that predate it.
    tokens: z.number().int().nonnegative().max(1_000_000).nullable().optional(),
    unknownShare: z.number().min(0).max(1).nullable().optional(),
  })
  .superRefine((r, ctx) => {
    // Own keys only: `"toString" in {}` is true.
    if (!Object.hasOwn(r.probabilities, r.label)) {
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'label must be one of the probabilities’ keys' });
      return;
    }
    const values = Object.values(r.probabilities);
    const sum = values.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) ctx.addIssue({ code: 'custom', path: ['probabilities'], message: `probabilities must sum to 1 (got ${sum})` });
    const p = r.probabilities[r.label]!;
    if (Math.abs(r.score - p) > SCORE_TOLERANCE) ctx.addIssue({ code: 'custom', path: ['score'], message: `score must be the label's probability (${p}), got ${r.score}` });
    if (p < Math.max(...values) - SCORE_TOLERANCE) ctx.addIssue({ code: 'custom', path: ['label'], message: 'label must be the most probable label' });
    if ((r.tokens == null) !== (r.unknownShare == null)) {
      ctx.addIssue({ code: 'custom', path: [r.tokens == null ? 'tokens' : 'unknownShare'], message: 'send tokens and unknownShare together (or neither)' });
    } else if (r.tokens != null && r.unknownShare != null) {
      const unknown = r.unknownShare * r.tokens;
      if (r.tokens === 0 ? r.unknownShare !== 0 : Math.abs(unknown - Math.round(unknown)) > 1e-6) {
        ctx.addIssue({ code: 'custom', path: ['unknownShare'], message: `unknownShare must be (unknown pieces) / tokens for tokens = ${r.tokens} (0 when tokens is 0), got ${r.unknownShare}` });
      }
    }
    if (r.text != null) {
      const problem = textProblem(r.text, 'text', { bom: 'refuse' });
      if (problem) ctx.addIssue({ code: 'custom', path: ['text'], message: problem });
      else if (r.text.length !== r.textLength) ctx.addIssue({ code: 'custom', path: ['textLength'], message: `textLength is ${r.textLength} but the text has ${r.text.length} UTF-16 code units` });
    }
  });

export const HistorySyncRequest = z.object({
  items: z.array(HistoryRecordInput).min(1).max(MAX_HISTORY_BATCH),
});

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

/** Fixed-width UTC (`…T12:00:00.000Z`) so that text order equals time order. */
export function normaliseTime(iso: string): string {
  return new Date(iso).toISOString();
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

// ---- edge predictions: coalesced writes ------------------------------------------------------

/** How long the first /predict of a quiet spell waits for others to share its D1 write. */
export const HISTORY_FLUSH_MS = 25;
/** Flush at once when this many rows wait. */
export const HISTORY_FLUSH_ROWS = 256;

/** Rows and error counts waiting for this isolate's next D1 write. */
let pending: { rows: HistoryRecord[]; errors: Map<string, ErrorCount> } | null = null;

/**
 * Queues edge predictions for D1. The request that finds the queue empty becomes its flusher: it
 * hands `waitUntil` a promise that waits HISTORY_FLUSH_MS, takes every queued row (and error count)
 * and writes them with its own D1 binding in one batch; requests arriving meanwhile only append (or,
 * at HISTORY_FLUSH_ROWS, write the queue themselves). So under load there is one D1 write per ~25 ms
 * per isolate instead of one per request, and every write belongs to one request's waitUntil (no
 * promise is shared across requests). Returns the promise to pass to waitUntil, or null.
 */
export function queueHistory(db: D1Database, rows: readonly HistoryRecord[], storeText: boolean): Promise<HistorySyncResponse> | null {
  const stored = storeText ? rows : rows.map((r) => ({ ...r, text: null }));
  if (pending) {
    pending.rows.push(...stored);
    return pending.rows.length >= HISTORY_FLUSH_ROWS ? flushHistory(db) : null;
  }
  pending = { rows: [...stored], errors: new Map() };
  return flushLater(db);
}

/** Queues one error response for the `metric_errors` rollup, written like queued rows (queueHistory). */
export function queueError(db: D1Database, route: string, status: number): Promise<HistorySyncResponse> | null {
  const first = pending === null;
  pending ??= { rows: [], errors: new Map() };
  const key = `${status} ${route}`;
  const e = pending.errors.get(key);
  if (e) e.count++;
  else pending.errors.set(key, { route, status, count: 1 });
  return first ? flushLater(db) : null;
}

function flushLater(db: D1Database): Promise<HistorySyncResponse> {
  return new Promise<void>((r) => setTimeout(r, HISTORY_FLUSH_MS)).then(() => flushHistory(db));
}

/** Writes this isolate's queued rows and error counts now (also POST /feedback: an id /predict just returned is then found at once). */
export function flushHistory(db: D1Database): Promise<HistorySyncResponse> {
  const batch = pending;
  pending = null;
  return batch ? insertHistory(db, batch.rows, true, [...batch.errors.values()]) : Promise.resolve({ inserted: 0, duplicates: 0 });
}

/**
 * Validates a POST /api/v1/history body into records (throws ApiError 400/413): the row shapes, then
 * the batch (an id sent twice is refused, not deduplicated: a client that repeats an id has a bug),
 * the time (not before 2020, at most HISTORY_MAX_FUTURE_MS ahead of the Worker's clock), the text's
 * sha256 when the text is sent, and the model: `model.version` must be a ready or archived version
 * in D1 whose labels are exactly the keys of `probabilities`.
 */
export async function parseSyncBody(db: D1Database, body: unknown, now = Date.now()): Promise<HistoryRecord[]> {
  const items = (body as { items?: unknown })?.items;
  if (Array.isArray(items) && items.length > MAX_HISTORY_BATCH) {
    throw new ApiError(413, 'payload_too_large', `at most ${MAX_HISTORY_BATCH} history items per request (got ${items.length}); send them in several requests`);
  }
  const parsed = HistorySyncRequest.safeParse(body);
  if (!parsed.success) throw ApiError.validation(parsed.error.issues, 'history batch');
  const issues: { path: string; code: string; message: string }[] = [];
  const issue = (i: number, field: string, message: string) => issues.push({ path: `items.${i}.${field}`, code: 'custom', message });
  const firstIndex = new Map<string, number>();
  const records = parsed.data.items.map((item, i) => {
    const seen = firstIndex.get(item.id);
    if (seen !== undefined) issue(i, 'id', `id ${item.id} repeats items.${seen}.id; every row needs its own id`);
    else firstIndex.set(item.id, i);
    const t = Date.parse(item.createdAt);
    if (t < HISTORY_MIN_TIME) issue(i, 'createdAt', `createdAt ${item.createdAt} is before 2020`);
    else if (t > now + HISTORY_MAX_FUTURE_MS) issue(i, 'createdAt', `createdAt ${item.createdAt} is in the future (the server's clock says ${new Date(now).toISOString()}; at most ${HISTORY_MAX_FUTURE_MS / 60_000} minutes ahead are accepted)`);
    return { ...item, createdAt: normaliseTime(item.createdAt), text: item.text ?? null, tokens: item.tokens ?? null, unknownShare: item.unknownShare ?? null };
  });
  await Promise.all(
    records.map(async (r, i) => {
      if (r.text !== null && (await sha256Hex(r.text)) !== r.textSha256) issue(i, 'textSha256', 'textSha256 is not the sha256 of text (UTF-8)');
    }),
  );
  const labels = await versionLabels(db, records);
  records.forEach((r, i) => {
    const known = labels.get(`${r.model.name}@${r.model.version}`);
    if (!known) {
      issue(i, 'model', `model ${r.model.name} has no ready or archived version ${r.model.version}`);
      return;
    }
    const keys = Object.keys(r.probabilities);
    if (keys.length !== known.length || !known.every((l) => Object.hasOwn(r.probabilities, l))) {
      issue(i, 'probabilities', `probabilities must have exactly the labels of ${r.model.name}@${r.model.version}: ${known.join(', ')}`);
    }
  });
  if (issues.length) {
    issues.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
    const first = issues[0]!;
    throw new ApiError(400, 'validation_failed', `invalid history batch: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues);
  }
  return records;
}

/** name@version → labels, for the ready or archived versions among the records' models (one D1 query). */
async function versionLabels(db: D1Database, records: readonly HistoryRecord[]): Promise<Map<string, string[]>> {
  const pairs = [...new Map(records.map((r) => [`${r.model.name}@${r.model.version}`, [r.model.name, r.model.version]])).values()];
  const { results } = await db
    .prepare(
      `SELECT name, version, manifest ->> '$.labels' AS labels FROM versions
       WHERE status IN ('ready', 'archived') AND (name, version) IN (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each(?1))`,
    )
    .bind(JSON.stringify(pairs))
    .all<{ name: string; version: number; labels: string }>();
  return new Map(results.map((r) => [`${r.name}@${r.version}`, JSON.parse(r.labels) as string[]]));
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

export const HistoryQueryInput = z.object({
  n: wholeNumberParam('n', MAX_PAGE).default(DEFAULT_PAGE),
  cursor: z.string().max(500).optional(),
  label: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(100).optional(),
  source: z.enum(['edge', 'browser']).optional(),
});

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

/**
 * Who synced browser rows, for the promotion policy's per-client bound (monitor/evidence.ts): the first
 * 16 hex digits of sha256("client:" + CF-Connecting-IP); null without an address (local tools). The
 * address itself is never stored.
 */
export async function clientHash(request: Request): Promise<string | null> {
  const ip = request.headers.get('cf-connecting-ip');
  return ip ? (await sha256Hex(`client:${ip}`)).slice(0, 16) : null;
}

/** sha256 of a text, hex: the registry's one implementation (its callers here and in predict.ts import it from this module). */
export { sha256Hex };
