/**
 * Evaluation runs in D1 (migrations/0005_evaluations_feedback.sql): created 'running', then finished
 * with their metrics ('succeeded') or an error ('failed'). Listing filters by model, version and
 * dataset (name or sha256); rows with the same dataset sha256 were scored on the same bytes.
 */
import type { EvaluationMetrics, EvaluationPrecision, EvaluationRun, EvaluationSource } from '@sentiment-edge/registry';

interface EvaluationRow {
  id: string;
  model_name: string;
  model_version: number;
  precision: EvaluationPrecision;
  source: EvaluationSource;
  dataset_name: string;
  dataset_sha256: string;
  rows: number;
  labels: string;
  status: EvaluationRun['status'];
  accuracy: number | null;
  macro_f1: number | null;
  macro_recall: number | null;
  ece: number | null;
  per_class: string | null;
  confusion: string | null;
  error: string | null;
  duration_ms: number | null;
  note: string | null;
  created_at: string;
  finished_at: string | null;
  created_by: string | null;
}

function toRun(r: EvaluationRow): EvaluationRun {
  const metrics: EvaluationMetrics | null =
    r.status === 'succeeded' && r.accuracy !== null
      ? {
          accuracy: r.accuracy,
          macroF1: r.macro_f1!,
          macroRecall: r.macro_recall!,
          ece: r.ece!,
          perClass: JSON.parse(r.per_class!) as EvaluationMetrics['perClass'],
          confusion: JSON.parse(r.confusion!) as number[][],
        }
      : null;
  return {
    id: r.id,
    model: { name: r.model_name, version: r.model_version },
    precision: r.precision,
    source: r.source,
    dataset: { name: r.dataset_name, sha256: r.dataset_sha256, rows: r.rows },
    labels: JSON.parse(r.labels) as string[],
    status: r.status,
    metrics,
    error: r.error,
    durationMs: r.duration_ms,
    note: r.note,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    ...(r.created_by !== null ? { createdBy: r.created_by } : {}),
  };
}

export interface NewEvaluation {
  id: string;
  model: { name: string; version: number };
  precision: EvaluationPrecision;
  source: EvaluationSource;
  dataset: { name: string; sha256: string; rows: number };
  labels: readonly string[];
  note?: string | null;
  createdAt: string;
  /** Who started the run: the caller's name (an API key's name, or 'REGISTRY_TOKEN'). */
  createdBy?: string | null;
}

/** Records a run that is about to be scored (status 'running'). */
export async function insertRunningEvaluation(db: D1Database, e: NewEvaluation): Promise<void> {
  await db
    .prepare(
      `INSERT INTO evaluations (id, model_name, model_version, precision, source, dataset_name, dataset_sha256, rows, labels, status, note, created_at, created_by)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'running', ?10, ?11, ?12)`,
    )
    .bind(e.id, e.model.name, e.model.version, e.precision, e.source, e.dataset.name, e.dataset.sha256, e.dataset.rows, JSON.stringify(e.labels), e.note ?? null, e.createdAt, e.createdBy ?? null)
    .run();
}

/** Stores a run's numbers and marks it succeeded. */
export async function finishEvaluation(db: D1Database, id: string, m: EvaluationMetrics, durationMs: number | null, now = new Date().toISOString()): Promise<EvaluationRun> {
  const row = await db
    .prepare(
      `UPDATE evaluations SET status = 'succeeded', accuracy = ?2, macro_f1 = ?3, macro_recall = ?4, ece = ?5, per_class = ?6, confusion = ?7, duration_ms = ?8, finished_at = ?9
       WHERE id = ?1 AND status = 'running' RETURNING *`,
    )
    .bind(id, m.accuracy, m.macroF1, m.macroRecall, m.ece, JSON.stringify(m.perClass), JSON.stringify(m.confusion), durationMs, now)
    .first<EvaluationRow>();
  if (!row) throw new Error(`evaluation ${id} vanished or was failed (the hourly job's timeout) while it was scored`);
  return toRun(row);
}

/** Marks a run failed with the reason (what the user should do is in the message). */
export async function failEvaluation(db: D1Database, id: string, error: string, durationMs: number | null, now = new Date().toISOString()): Promise<void> {
  await db.prepare(`UPDATE evaluations SET status = 'failed', error = ?2, duration_ms = ?3, finished_at = ?4 WHERE id = ?1 AND status = 'running'`).bind(id, error.slice(0, 2000), durationMs, now).run();
}

/** Records a finished evaluation computed elsewhere (publish-model's gate evaluations) in one statement. */
export async function insertFinishedEvaluation(db: D1Database, e: NewEvaluation, m: EvaluationMetrics): Promise<EvaluationRun> {
  await insertRunningEvaluation(db, e);
  return finishEvaluation(db, e.id, m, null, e.createdAt);
}

export async function getEvaluation(db: D1Database, id: string): Promise<EvaluationRun | null> {
  const row = await db.prepare('SELECT * FROM evaluations WHERE id = ?1').bind(id).first<EvaluationRow>();
  return row ? toRun(row) : null;
}

export interface EvaluationFilter {
  model?: string | undefined;
  version?: number | undefined;
  /** A dataset name, or a sha256 (64 hex digits). */
  dataset?: string | undefined;
  n: number;
}

/** Newest first; rows of one dataset sha256 are adjacent in time order per model, compare them by `dataset.sha256`. */
export async function listEvaluations(db: D1Database, f: EvaluationFilter): Promise<EvaluationRun[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `?${params.length}`;
  };
  if (f.model !== undefined) where.push(`model_name = ${p(f.model)}`);
  if (f.version !== undefined) where.push(`model_version = ${p(f.version)}`);
  if (f.dataset !== undefined) where.push(/^[0-9a-f]{64}$/.test(f.dataset) ? `dataset_sha256 = ${p(f.dataset)}` : `dataset_name = ${p(f.dataset)}`);
  const sql = `SELECT * FROM evaluations${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${p(f.n)}`;
  const { results } = await db.prepare(sql).bind(...params).all<EvaluationRow>();
  return results.map(toRun);
}

/**
 * Fails every run still 'running' that was created before `before` (ISO time) with `reason`: a queued run
 * whose consumer died (CPU limit, a message past its retries in the dead-letter queue) or an inline run whose
 * isolate was killed would otherwise stay 'running' for ever. Returns the ids it failed.
 */
export async function failStuckEvaluations(db: D1Database, before: string, reason: string, now = new Date().toISOString()): Promise<string[]> {
  const { results } = await db
    .prepare(`UPDATE evaluations SET status = 'failed', error = ?2, finished_at = ?3 WHERE status = 'running' AND created_at < ?1 RETURNING id`)
    .bind(before, reason.slice(0, 2000), now)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
