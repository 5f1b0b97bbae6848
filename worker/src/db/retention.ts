/**
 * Retention (HISTORY_DAYS): deletes prediction history and shadow rows older than the cutoff, in
 * chunks so that one run stays inside D1's limits, plus drift reports older than it that no alert
 * refers to. Nothing is lost from /metrics: every history row was added to the per-minute rollups
 * (migrations/0004_metric_rollups.sql) in the same transaction that stored it. The rollups are kept
 * but compacted: the minutes of each whole day before the cutoff are summed into one row per series
 * under that day's first minute (`YYYY-MM-DDT00:00Z`), in one transaction per day, so every total
 * /metrics reports stays exactly the same while the tables stop growing with time. A backlog larger
 * than one run's budget is finished by the following hourly runs. The promotion policy's per-minute
 * `version_errors` and its `hold` decisions older than the cutoff go too (promote and roll back decisions,
 * the record of what moved, are kept).
 */
export const PRUNE_CHUNK = 5_000;
/** Chunks per table per run: at most 100,000 rows (about 20 D1 queries per table). */
export const PRUNE_MAX_CHUNKS = 20;

/** Days of rollups compacted per run. */
export const COMPACT_MAX_DAYS = 7;

export interface PruneResult {
  cutoff: string;
  predictions: number;
  shadow: number;
  reports: number;
  /** version_errors rows and hold decisions deleted. */
  policyRows: number;
  /** Days whose per-minute rollups were summed into one row per series. */
  compactedDays: string[];
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
  const [errors, holds] = await db.batch([
    db.prepare(`DELETE FROM version_errors WHERE minute < ?1`).bind(`${cutoff.slice(0, 16)}Z`),
    db.prepare(`DELETE FROM promotion_decisions WHERE created_at < ?1 AND action = 'hold'`).bind(cutoff),
  ]);
  const compactedDays = await compactRollups(db, `${cutoff.slice(0, 10)}T00:00Z`);
  return { cutoff, predictions: p.deleted, shadow: s.deleted, reports: r.meta.changes ?? 0, policyRows: (errors!.meta.changes ?? 0) + (holds!.meta.changes ?? 0), compactedDays, more: p.more || s.more || compactedDays.length === COMPACT_MAX_DAYS };
}

/** The rollup tables, their series columns and summed columns. */
const ROLLUPS = [
  { table: 'metric_predictions', keys: ['model_name', 'model_version', 'label', 'source'], sums: ['count'] },
  { table: 'metric_histograms', keys: ['metric', 'model_name', 'model_version', 'source', 'le'], sums: ['count', 'sum'] },
  { table: 'metric_errors', keys: ['route', 'status'], sums: ['count'] },
] as const;

const NOT_DAY_ROW = `substr(minute, 12) <> '00:00Z'`;

/** Sums the per-minute rollups of whole days before `before` ('YYYY-MM-DDT00:00Z') into day rows; returns the days done. */
export async function compactRollups(db: D1Database, before: string): Promise<string[]> {
  const { results } = await db
    .prepare(ROLLUPS.map((r) => `SELECT DISTINCT substr(minute, 1, 10) AS day FROM ${r.table} WHERE minute < ?1 AND ${NOT_DAY_ROW}`).join(' UNION ') + ` ORDER BY day LIMIT ${COMPACT_MAX_DAYS}`)
    .bind(before)
    .all<{ day: string }>();
  for (const { day } of results) {
    const [from, to] = [`${day}T00:00Z`, `${day}T23:59Z`];
    // One batch (a transaction) per day: the sums land and the minutes go together.
    await db.batch(
      ROLLUPS.flatMap((r) => [
        db
          .prepare(
            `INSERT INTO ${r.table} (minute, ${r.keys.join(', ')}, ${r.sums.join(', ')})
             SELECT ?1, ${r.keys.join(', ')}, ${r.sums.map((c) => `SUM(${c})`).join(', ')} FROM ${r.table}
             WHERE minute > ?1 AND minute <= ?2 GROUP BY ${r.keys.join(', ')}
             ON CONFLICT (minute, ${r.keys.join(', ')}) DO UPDATE SET ${r.sums.map((c) => `${c} = ${r.table}.${c} + excluded.${c}`).join(', ')}`,
          )
          .bind(from, to),
        db.prepare(`DELETE FROM ${r.table} WHERE minute > ?1 AND minute <= ?2`).bind(from, to),
      ]),
    );
  }
  return results.map((r) => r.day);
}
