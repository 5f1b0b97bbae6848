/**
 * Shadow scoring's table (`shadow_predictions`, migrations/0006_drift_shadow.sql): one row per text a
 * challenger scored beside its champion, keyed by the champion's history row id; no text. Written after
 * the /predict answer (monitor/shadow.ts), summarised per window for the drift report, the promotion
 * evidence and the A/B readout.
 */

/** Stores shadow rows (`[id, createdAt, model, championVersion, challengerVersion, championLabel, challengerLabel, challengerScore]` each); returns how many were new. */
export async function insertShadowRows(db: D1Database, tuples: readonly unknown[][]): Promise<number> {
  const res = await db
    .prepare(
      `INSERT INTO shadow_predictions (id, created_at, model_name, champion_version, challenger_version, champion_label, challenger_label, challenger_score)
     SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]', value ->> '$[6]', value ->> '$[7]'
     FROM json_each(?1) WHERE true ON CONFLICT (id) DO NOTHING`,
    )
    .bind(JSON.stringify(tuples))
    .run();
  return res.meta.changes ?? 0;
}

export interface ShadowSummary {
  challenger: { name: string; version: number };
  /** Texts scored by both. */
  rows: number;
  /** Share of them on which the two predicted the same label. */
  agreement: number | null;
  /** Predicted-label shares of each on the same texts. */
  labelMix: { champion: Record<string, number>; challenger: Record<string, number> };
  /** Total variation distance between the two label mixes: ½ Σ |champion − challenger| (0 = same mix, 1 = disjoint). */
  labelMixDifference: number | null;
  /** Mean top-class probability of the challenger on these texts. */
  challengerMeanConfidence: number | null;
}

/**
 * The shadow rows of a champion version in the window, against the challenger version that scored
 * most of them (the alias may have moved during the window; the others are counted in `otherRows`),
 * or against `challengerVersion` when given (the promotion policy's candidate).
 */
export async function readShadow(db: D1Database, name: string, championVersion: number, start: string, end: string, challengerVersion?: number): Promise<(ShadowSummary & { otherRows: number }) | null> {
  const where = `FROM shadow_predictions WHERE model_name = ?1 AND champion_version = ?2 AND created_at >= ?3 AND created_at < ?4`;
  const { results: byVersion } = await db
    .prepare(`SELECT challenger_version AS v, COUNT(*) AS n ${where} GROUP BY challenger_version ORDER BY n DESC, v DESC`)
    .bind(name, championVersion, start, end)
    .all<{ v: number; n: number }>();
  const pick = challengerVersion === undefined ? byVersion[0] : byVersion.find((r) => r.v === challengerVersion);
  if (!pick) return null;
  const challenger = pick.v;
  const w = `${where} AND challenger_version = ?5`;
  const args = [name, championVersion, start, end, challenger];
  const [totals, champ, chall] = await db.batch<Record<string, number | string>>([
    db.prepare(`SELECT COUNT(*) AS n, TOTAL(champion_label = challenger_label) AS agree, TOTAL(challenger_score) AS conf ${w}`).bind(...args),
    db.prepare(`SELECT champion_label AS label, COUNT(*) AS n ${w} GROUP BY champion_label`).bind(...args),
    db.prepare(`SELECT challenger_label AS label, COUNT(*) AS n ${w} GROUP BY challenger_label`).bind(...args),
  ]);
  const t = totals!.results[0]!;
  const n = Number(t.n);
  const shares = (rows: Record<string, number | string>[]) => Object.fromEntries(rows.map((r) => [String(r.label), Number(r.n) / n]));
  const champion = shares(champ!.results);
  const challengerMix = shares(chall!.results);
  const labels = new Set([...Object.keys(champion), ...Object.keys(challengerMix)]);
  let tv = 0;
  for (const l of labels) tv += Math.abs((champion[l] ?? 0) - (challengerMix[l] ?? 0));
  return {
    challenger: { name, version: challenger },
    rows: n,
    agreement: Number(t.agree) / n,
    labelMix: { champion, challenger: challengerMix },
    labelMixDifference: tv / 2,
    challengerMeanConfidence: Number(t.conf) / n,
    otherRows: byVersion.filter((r) => r !== pick).reduce((s, r) => s + r.n, 0),
  };
}

/** Σp and Σp(1−p) of the challenger's confidences on the shadow rows of one champion/challenger pair in [start, end). */
export async function challengerScoreSums(db: D1Database, name: string, championVersion: number, challengerVersion: number, start: string, end: string): Promise<{ rows: number; sumP: number; sumPQ: number }> {
  const s = await db
    .prepare(
      `SELECT COUNT(*) AS n, TOTAL(challenger_score) AS p, TOTAL(challenger_score * (1 - challenger_score)) AS pq FROM shadow_predictions
           WHERE model_name = ?1 AND champion_version = ?2 AND challenger_version = ?3 AND created_at >= ?4 AND created_at < ?5`,
    )
    .bind(name, championVersion, challengerVersion, start, end)
    .first<{ n: number; p: number; pq: number }>();
  return { rows: Number(s!.n), sumP: Number(s!.p), sumPQ: Number(s!.pq) };
}

/** Shadow pairs of versions a and b in [start, end], either way round (a as champion and b as challenger, or the reverse), and how many agreed. */
export async function shadowPairAgreement(db: D1Database, model: string, a: number, b: number, start: string, end: string): Promise<{ n: number; same: number } | null> {
  return db
    .prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(champion_label = challenger_label), 0) AS same FROM shadow_predictions
       WHERE model_name = ?1 AND created_at >= ?4 AND created_at <= ?5
         AND ((champion_version = ?2 AND challenger_version = ?3) OR (champion_version = ?3 AND challenger_version = ?2))`,
    )
    .bind(model, a, b, start, end)
    .first<{ n: number; same: number }>();
}
