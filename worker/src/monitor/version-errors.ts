/**
 * Failures per model version (migrations/0008: `version_errors`), the error rate the promotion policy
 * compares: texts a version failed to answer on /predict after the request was resolved to it (its
 * model did not load or its inference threw), and texts a challenger failed to score while shadow
 * scoring. Counted per UTC minute, one upsert per failure, written after the answer (waitUntil): a
 * failing version is rare, so there is nothing to coalesce.
 */

/** Adds `texts` failed texts for name@version in the minute of `at`. */
export async function recordVersionError(db: D1Database, name: string, version: number, texts: number, at = new Date()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO version_errors (minute, model_name, model_version, count) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (minute, model_name, model_version) DO UPDATE SET count = version_errors.count + excluded.count`,
    )
    .bind(at.toISOString().slice(0, 16) + 'Z', name, version, texts)
    .run();
}

/** Failed texts of name@version from the minute of `start` (inclusive) to `end` (exclusive). */
export async function countVersionErrors(db: D1Database, name: string, version: number, start: string, end: string): Promise<number> {
  const row = await db
    .prepare(`SELECT TOTAL(count) AS n FROM version_errors WHERE model_name = ?1 AND model_version = ?2 AND minute >= ?3 AND minute < ?4`)
    .bind(name, version, start.slice(0, 16) + 'Z', end.slice(0, 16) + 'Z')
    .first<{ n: number }>();
  return Number(row?.n ?? 0);
}
