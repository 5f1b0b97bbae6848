/**
 * Prediction history's rules (the rows live in D1: db/history.ts): what a browser may sync (the
 * record's shape, the batch, the clock, the text's hash, the model's labels), the history query's
 * parameters, and the coalesced writes of edge predictions (one D1 batch per ~25 ms per isolate).
 */
import { MAX_HISTORY_BATCH, ModelName, sha256Hex, Version, wholeNumberParam, type HistoryRecord, type HistorySyncResponse } from '@sentiment-edge/registry';
import { z } from 'zod';
import { DEFAULT_PAGE, insertHistory, MAX_PAGE, type ErrorCount } from '../db/history.ts';
import { visibleVersionLabels } from '../db/versions.ts';
import { ApiError } from '../errors.ts';
import { textProblem } from './text.ts';

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

/** Fixed-width UTC (`…T12:00:00.000Z`) so that text order equals time order. */
export function normaliseTime(iso: string): string {
  return new Date(iso).toISOString();
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
  const labels = await visibleVersionLabels(db, [...new Map(records.map((r) => [`${r.model.name}@${r.model.version}`, [r.model.name, r.model.version] as const])).values()]);
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

export const HistoryQueryInput = z.object({
  n: wholeNumberParam('n', MAX_PAGE).default(DEFAULT_PAGE),
  cursor: z.string().max(500).optional(),
  label: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(100).optional(),
  source: z.enum(['edge', 'browser']).optional(),
});

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
