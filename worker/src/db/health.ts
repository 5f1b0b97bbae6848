/** The readiness probe's D1 check: one trivial query, which throws when D1 cannot answer. */
export async function pingD1(db: D1Database): Promise<void> {
  await db.prepare('SELECT 1').first();
}
