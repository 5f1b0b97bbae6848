/**
 * Retention (HISTORY_DAYS): deletes prediction history and shadow rows older than the cutoff, in
 * chunks so that one run stays inside D1's limits, plus drift reports older than it that no alert
 * refers to. Nothing is lost from /metrics: every history row was added to the per-minute rollups
 * (migrations/0004_metric_rollups.sql) in the same transaction that stored it, and the rollups are
 * kept. A backlog larger than one run's budget is finished by the following hourly runs.
 */
export const PRUNE_CHUNK = 5_000;
/** Chunks per table per run: at most 100,000 rows (about 20 D1 queries per table). */
export const PRUNE_MAX_CHUNKS = 20;

export interface PruneResult {
  cutoff: string;
  predictions: number;
  shadow: number;
  reports: number;
  /** True when a table still has rows older than the cutoff (the next run goes on). */
  more: boolean;
}

async function chunked(db: D1Database, sql: string, cutoff: string): Promise<{ deleted: number; more: boolean }> {
  let deleted = 0;
  for (let i = 0; i < PRUNE_MAX_CHUNKS; i++) {
    const r = await db.prepare(sql).bind(cutoff, PRUNE_CHUNK).run();
    const n = r.meta.changes ?? 0;
    deleted += n;
    if (n < PRUNE_CHUNK) return { deleted, more: false };
  }
  return { deleted, more: true };
}

export async function pruneHistory(db: D1Database, cutoff: string): Promise<PruneResult> {
  const p = await chunked(db, `DELETE FROM predictions WHERE id IN (SELECT id FROM predictions INDEXED BY predictions_by_time WHERE created_at < ?1 LIMIT ?2)`, cutoff);
  const s = await chunked(db, `DELETE FROM shadow_predictions WHERE id IN (SELECT id FROM shadow_predictions INDEXED BY shadow_by_time WHERE created_at < ?1 LIMIT ?2)`, cutoff);
  const r = await db
    .prepare(
      `DELETE FROM drift_reports WHERE created_at < ?1
         AND id NOT IN (SELECT opened_report_id FROM drift_alerts) AND id NOT IN (SELECT last_report_id FROM drift_alerts)`,
    )
    .bind(cutoff)
    .run();
  return { cutoff, predictions: p.deleted, shadow: s.deleted, reports: r.meta.changes ?? 0, more: p.more || s.more };
}
