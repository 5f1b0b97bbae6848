/**
 * User feedback in D1 (migrations/0005_evaluations_feedback.sql, 0009: `trusted`): one correction per
 * prediction, replaced by a later one; the export of corrected texts (only trusted corrections of rows whose
 * prediction kept its text, i.e. made while STORE_TEXT was on); realised accuracy per version and day
 * (trusted corrections only). Trusted: sent with REGISTRY_TOKEN or FEEDBACK_TOKEN, never by anonymous callers.
 */
import type { FeedbackItem, FeedbackResponse, RealisedAccuracyRow } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';

interface PredictionInfo {
  id: string;
  model_name: string;
  model_version: number;
  label: string;
  created_at: string;
  labels: string | null;
}

/** Pauses (ms) before looking again for prediction ids not found: edge rows reach D1 just after the /predict answer (serving/history.ts queue). */
export const MISSING_ID_RETRIES_MS = [50, 150, 300, 500];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function findPredictions(db: D1Database, ids: readonly string[]): Promise<Map<string, PredictionInfo>> {
  const { results } = await db
    .prepare(
      `SELECT p.id, p.model_name, p.model_version, p.label, p.created_at, v.manifest ->> '$.labels' AS labels
       FROM predictions p LEFT JOIN versions v ON v.name = p.model_name AND v.version = p.model_version
       WHERE p.id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<PredictionInfo>();
  return new Map(results.map((r) => [r.id, r]));
}

export interface FeedbackOptions {
  /** Sent with REGISTRY_TOKEN or FEEDBACK_TOKEN: counts in realised accuracy and the export; anonymous feedback is stored but not counted. */
  trusted: boolean;
  /** Writes this isolate's queued edge rows now (serving/history.ts flushHistory), before looking again for missing ids. */
  flush?: () => Promise<unknown>;
  now?: string;
}

/**
 * Validates and stores corrections, all or none. Ids not found at first are looked for again after this
 * isolate's queued edge rows are written and after short pauses (MISSING_ID_RETRIES_MS, about 1 s in all),
 * so that an id /predict has just returned is accepted at once. Then 404 naming the ids still missing, 400
 * naming every label that is not one of its version's labels. A later correction replaces an earlier one
 * (and its trust). Returns how many were new and how many replaced an earlier correction.
 */
export async function upsertFeedback(db: D1Database, items: readonly FeedbackItem[], opts: FeedbackOptions): Promise<FeedbackResponse> {
  const now = opts.now ?? new Date().toISOString();
  const ids = items.map((i) => i.predictionId);
  const byId = await findPredictions(db, ids);
  let missing = ids.filter((id) => !byId.has(id));
  for (let attempt = 0; missing.length && attempt < MISSING_ID_RETRIES_MS.length; attempt++) {
    if (attempt === 0 && opts.flush) await opts.flush();
    else await sleep(MISSING_ID_RETRIES_MS[attempt]!);
    for (const [id, row] of await findPredictions(db, missing)) byId.set(id, row);
    missing = ids.filter((id) => !byId.has(id));
  }
  if (missing.length) {
    throw ApiError.notFound(
      `${missing.length} prediction id(s) are not in the history: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}. Send the "id" of a /predict answer (accepted at once) or of a browser prediction synced with POST /api/v1/history first`,
      { missing },
    );
  }
  const existing = await db.prepare('SELECT prediction_id FROM feedback WHERE prediction_id IN (SELECT value FROM json_each(?1))').bind(JSON.stringify(ids)).all<{ prediction_id: string }>();
  const issues: { path: string; code: string; message: string }[] = [];
  items.forEach((item, i) => {
    const p = byId.get(item.predictionId)!;
    const labels = p.labels ? (JSON.parse(p.labels) as string[]) : [];
    if (!labels.includes(item.label)) {
      issues.push({ path: `items.${i}.label`, code: 'custom', message: `"${item.label}" is not a label of ${p.model_name}@${p.model_version}; pick one of: ${labels.join(', ')}` });
    }
  });
  if (issues.length) throw new ApiError(400, 'validation_failed', `invalid feedback: ${issues[0]!.path}: ${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues);
  const rows = items.map((item) => {
    const p = byId.get(item.predictionId)!;
    return [item.predictionId, p.model_name, p.model_version, p.label, item.label, p.created_at];
  });
  await db
    .prepare(
      `INSERT INTO feedback (prediction_id, model_name, model_version, predicted_label, label, predicted_at, created_at, updated_at, trusted)
       SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]', ?2, ?2, ?3 FROM json_each(?1) WHERE true
       ON CONFLICT (prediction_id) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at, trusted = excluded.trusted`,
    )
    .bind(JSON.stringify(rows), now, opts.trusted ? 1 : 0)
    .run();
  const before = new Set(existing.results.map((r) => r.prediction_id));
  const updated = ids.filter((id) => before.has(id)).length;
  return { inserted: ids.length - updated, updated };
}

export interface ExportFilter {
  name: string;
  version?: number | undefined;
  /** ISO time: corrections made (or last replaced) at or after it. */
  since?: string | undefined;
  limit: number;
}

export interface FeedbackExport {
  rows: { text: string; label: string }[];
  /** Anonymous corrections (not trusted): never exported. */
  untrusted: number;
  /** Corrections whose prediction has no stored text (made while STORE_TEXT was off): not exported. */
  withoutText: number;
  truncated: boolean;
}

/** Corrected texts, oldest correction first. */
export async function exportFeedback(db: D1Database, f: ExportFilter): Promise<FeedbackExport> {
  const where = ['f.model_name = ?1', 'f.updated_at >= ?2', 'f.trusted = 1'];
  const params: unknown[] = [f.name, f.since ?? ''];
  if (f.version !== undefined) {
    params.push(f.version);
    where.push(`f.model_version = ?${params.length}`);
  }
  params.push(f.limit + 1);
  const cond = where.join(' AND ');
  const [withText, without, untrusted] = await db.batch([
    db
      .prepare(`SELECT p.text AS text, f.label AS label FROM feedback f JOIN predictions p ON p.id = f.prediction_id WHERE ${cond} AND p.text IS NOT NULL ORDER BY f.updated_at, f.prediction_id LIMIT ?${params.length}`)
      .bind(...params),
    db.prepare(`SELECT COUNT(*) AS n FROM feedback f JOIN predictions p ON p.id = f.prediction_id WHERE ${cond} AND p.text IS NULL`).bind(...params.slice(0, -1)),
    db.prepare(`SELECT COUNT(*) AS n FROM feedback f WHERE ${cond.replace('f.trusted = 1', 'f.trusted = 0')}`).bind(...params.slice(0, -1)),
  ]);
  const rows = withText!.results as { text: string; label: string }[];
  return { rows: rows.slice(0, f.limit), untrusted: (untrusted!.results[0] as { n: number }).n, withoutText: (without!.results[0] as { n: number }).n, truncated: rows.length > f.limit };
}

/** The audit row of one export (table feedback_exports): who took which corrections, and how many. Returns its id. */
export async function recordFeedbackExport(
  db: D1Database,
  e: { name: string; version?: number | undefined; since?: string | undefined; rows: number; truncated: boolean; createdBy: string | null },
  now = new Date().toISOString(),
): Promise<number> {
  const row = await db
    .prepare(`INSERT INTO feedback_exports (model_name, model_version, since, rows, truncated, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id`)
    .bind(e.name, e.version ?? null, e.since ?? null, e.rows, e.truncated ? 1 : 0, now, e.createdBy)
    .first<{ id: number }>();
  return row!.id;
}

/** Share of predictions with trusted feedback whose label the user confirmed, per version and UTC day of the prediction, newest day first. */
export async function realisedAccuracy(db: D1Database, name: string, sinceDay: string): Promise<RealisedAccuracyRow[]> {
  const { results } = await db
    .prepare(
      `SELECT model_version AS version, substr(predicted_at, 1, 10) AS day, COUNT(*) AS feedback, SUM(label = predicted_label) AS correct
       FROM feedback WHERE model_name = ?1 AND predicted_at >= ?2 AND trusted = 1
       GROUP BY model_version, substr(predicted_at, 1, 10) ORDER BY day DESC, version DESC`,
    )
    .bind(name, sinceDay)
    .all<{ version: number; day: string; feedback: number; correct: number }>();
  return results.map((r) => ({ model: { name, version: r.version }, day: r.day, feedback: r.feedback, correct: r.correct, accuracy: r.correct / r.feedback }));
}

/** Feedback on one version's predictions made in [start, end): trusted labels (and how many confirm it), anonymous ones (not counted). */
export interface WindowFeedback {
  trusted: number;
  correct: number;
  untrusted: number;
}

/**
 * Feedback on name@version's predictions made in [start, end). `browserRows`: also on synced browser
 * rows (the promotion policy counts them only where it opts in); otherwise on edge rows only.
 */
export async function windowFeedback(db: D1Database, name: string, version: number, start: string, end: string, opts: { browserRows: boolean }): Promise<WindowFeedback> {
  const row = await db
    .prepare(
      `SELECT TOTAL(f.trusted) AS trusted, TOTAL(f.trusted * (f.label = f.predicted_label)) AS correct, TOTAL(1 - f.trusted) AS untrusted
       FROM feedback f INDEXED BY feedback_by_model
       WHERE f.model_name = ?1 AND f.model_version = ?2 AND f.predicted_at >= ?3 AND f.predicted_at < ?4
         AND (?5 OR EXISTS (SELECT 1 FROM predictions p WHERE p.id = f.prediction_id AND p.source = 'edge'))`,
    )
    .bind(name, version, start, end, opts.browserRows ? 1 : 0)
    .first<{ trusted: number; correct: number; untrusted: number }>();
  return { trusted: Number(row?.trusted ?? 0), correct: Number(row?.correct ?? 0), untrusted: Number(row?.untrusted ?? 0) };
}

/** Realised accuracy from trusted feedback, or null without any ("not measured", never 0). */
export function accuracyOf(f: WindowFeedback): { accuracy: number; rows: number } | null {
  return f.trusted > 0 ? { accuracy: f.correct / f.trusted, rows: f.trusted } : null;
}

/**
 * Where the monitoring job reads realised accuracy from (monitor/run.ts `MonitorOptions.realised`; default
 * `windowRealisedAccuracy`): accuracy measured on labels users gave, shown beside the estimated one in the
 * drift report and /metrics. A version with no feedback in the window gives null: "not measured", never 0.
 */
export type RealisedAccuracySource = (db: D1Database, name: string, version: number, start: string, end: string) => Promise<{ accuracy: number; rows: number } | null>;

/**
 * Realised accuracy of one version over predictions made in [start, end) that received trusted feedback
 * (from REGISTRY_TOKEN or FEEDBACK_TOKEN), on any row: the monitoring job's source
 * (`RealisedAccuracySource`). null when none did ("not measured", never 0).
 */
export const windowRealisedAccuracy: RealisedAccuracySource = async (db, name, version, start, end) => accuracyOf(await windowFeedback(db, name, version, start, end, { browserRows: true }));
