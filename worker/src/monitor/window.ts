/**
 * One version's window of history, aggregated in D1 (a few GROUP BY queries, never the rows
 * themselves): bucket counts over the reference profile's bounds, the predicted-label mix, the sums
 * CBPE needs, and the shadow comparison with the challenger.
 */
import type { ReferenceProfile, WindowCounts } from '@sentiment-edge/registry';

/** `CASE WHEN col <= b0 THEN 0 WHEN col <= b1 THEN 1 … ELSE n END`: registry bucketIndex in SQL (bounds are numbers from a validated manifest). */
export function bucketSql(column: string, bounds: readonly number[]): string {
  return `CASE ${bounds.map((b, i) => `WHEN ${column} <= ${Number(b)} THEN ${i}`).join(' ')} ELSE ${bounds.length} END`;
}

export interface VersionWindow {
  counts: WindowCounts;
  rows: number;
  /** Σp and Σp(1−p) of the top-class probabilities, for CBPE. */
  sumScore: number;
  sumScoreVariance: number;
}

const WINDOW = `FROM predictions INDEXED BY predictions_by_model WHERE model_name = ?1 AND created_at >= ?3 AND created_at < ?4 AND model_version = ?2`;

export async function readWindow(db: D1Database, name: string, version: number, start: string, end: string, profile: Pick<ReferenceProfile, 'tokens' | 'unknownShare' | 'confidence'>): Promise<VersionWindow> {
  const hist = (column: string, bounds: readonly number[]) =>
    db.prepare(`SELECT ${bucketSql(column, bounds)} AS b, COUNT(*) AS n ${WINDOW} AND ${column} IS NOT NULL GROUP BY b`).bind(name, version, start, end);
  const [tokens, unknown, confidence, labels, totals] = await db.batch<Record<string, number | string>>([
    hist('token_count', profile.tokens.bounds),
    hist('unknown_share', profile.unknownShare.bounds),
    hist('score', profile.confidence.bounds),
    db.prepare(`SELECT label, COUNT(*) AS n ${WINDOW} GROUP BY label`).bind(name, version, start, end),
    db.prepare(`SELECT COUNT(*) AS n, TOTAL(score) AS p, TOTAL(score * (1 - score)) AS pq ${WINDOW}`).bind(name, version, start, end),
  ]);
  const toCounts = (rows: Record<string, number | string>[], size: number) => {
    const out = new Array<number>(size).fill(0);
    for (const r of rows) out[Number(r.b)] = Number(r.n);
    return out;
  };
  const t = totals!.results[0] ?? { n: 0, p: 0, pq: 0 };
  return {
    counts: {
      tokens: toCounts(tokens!.results, profile.tokens.bounds.length + 1),
      unknownShare: toCounts(unknown!.results, profile.unknownShare.bounds.length + 1),
      confidence: toCounts(confidence!.results, profile.confidence.bounds.length + 1),
      labels: Object.fromEntries(labels!.results.map((r) => [String(r.label), Number(r.n)])),
    },
    rows: Number(t.n),
    sumScore: Number(t.p),
    sumScoreVariance: Number(t.pq),
  };
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
