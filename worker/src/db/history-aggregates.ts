/**
 * Aggregates over prediction history (`predictions`), computed in D1 (GROUP BY queries, never the rows
 * themselves): one version's drift window (bucket counts over the reference profile's bounds, the
 * predicted-label mix, the sums CBPE needs), the promotion policy's evidence sums, and the A/B readout's
 * per-version figures.
 */
import type { PredictionSource, ReferenceProfile, WindowCounts } from '@sentiment-edge/registry';

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

// ---- the promotion policy's evidence (monitor/evidence.ts) ----------------------------------------

const OWN = `FROM predictions INDEXED BY predictions_by_model WHERE model_name = ?1 AND created_at >= ?3 AND created_at < ?4 AND model_version = ?2`;

/** Synced browser rows of name@version in [start, end). */
export async function browserRowCount(db: D1Database, name: string, version: number, start: string, end: string): Promise<number> {
  const stored = await db.prepare(`SELECT COUNT(*) AS n ${OWN} AND source = 'browser'`).bind(name, version, start, end).first<{ n: number }>();
  return Number(stored?.n ?? 0);
}

/**
 * Per client (`client_hash`) and UTC day: the count, Σp and Σp(1−p) of the top-class probabilities of at
 * most `maxRowsPerClientDay` browser rows of name@version in [start, end), the earliest first.
 */
export async function browserClientDaySums(db: D1Database, name: string, version: number, start: string, end: string, maxRowsPerClientDay: number): Promise<{ n: number; p: number; pq: number }[]> {
  const { results } = await db
    .prepare(
      `SELECT COUNT(*) AS n, TOTAL(score) AS p, TOTAL(score * (1 - score)) AS pq FROM (
         SELECT score, client_hash, substr(created_at, 1, 10) AS day,
                ROW_NUMBER() OVER (PARTITION BY client_hash, substr(created_at, 1, 10) ORDER BY created_at, id) AS k
         ${OWN} AND source = 'browser')
       WHERE k <= ?5 GROUP BY client_hash, day`,
    )
    .bind(name, version, start, end, maxRowsPerClientDay)
    .all<{ n: number; p: number; pq: number }>();
  return results;
}

/** The count, Σp and Σp(1−p) of the edge rows of name@version in [start, end). */
export async function edgeScoreSums(db: D1Database, name: string, version: number, start: string, end: string): Promise<{ n: number; p: number; pq: number }> {
  return (await db.prepare(`SELECT COUNT(*) AS n, TOTAL(score) AS p, TOTAL(score * (1 - score)) AS pq ${OWN} AND source = 'edge'`).bind(name, version, start, end).first<{ n: number; p: number; pq: number }>())!;
}

/** The per-text latency of the edge row at 0-based rank `offset` (by latency) of name@version in [start, end), or null. */
export async function edgeLatencyAtRank(db: D1Database, name: string, version: number, start: string, end: string, offset: number): Promise<number | null> {
  const row = await db
    .prepare(`SELECT latency_ms AS l ${OWN} AND source = 'edge' ORDER BY latency_ms LIMIT 1 OFFSET ?5`)
    .bind(name, version, start, end, offset)
    .first<{ l: number }>();
  return row ? Number(row.l) : null;
}

// ---- the A/B readout (monitor/ab.ts) ---------------------------------------------------------------

/** One version's rows for the A/B readout: [start, end] inclusive, `source` null for both. */
export interface AbRange {
  model: string;
  version: number;
  start: string;
  end: string;
  source: PredictionSource | null;
}

// ?1 model, ?2 version, ?3 start, ?4 end, ?5 source (NULL: both)
const AB_ROWS = `FROM predictions WHERE model_name = ?1 AND model_version = ?2 AND created_at >= ?3 AND created_at <= ?4 AND (?5 IS NULL OR source = ?5)`;
const abBind = (r: AbRange) => [r.model, r.version, r.start, r.end, r.source] as const;

type Span = { first: string | null; last: string | null };

/** The first and last history row time of versions a and b in [start, end] (one D1 round trip). */
export async function versionSpans(db: D1Database, model: string, [a, b]: readonly [number, number], start: string, end: string, source: PredictionSource | null): Promise<[Span, Span]> {
  const [spanA, spanB] = await db.batch<Span>([a, b].map((v) => db.prepare(`SELECT MIN(created_at) AS first, MAX(created_at) AS last ${AB_ROWS}`).bind(model, v, start, end, source)));
  return [spanA!.results[0]!, spanB!.results[0]!];
}

/** A version's rows by label (count and Σ score) and the feedback on those rows (joined to the history so that the source filter applies too). */
export async function abVersionRows(db: D1Database, r: AbRange): Promise<{ labels: { label: string; n: number; score: number }[]; feedback: { n: number; correct: number } }> {
  const bind = abBind(r);
  const [labels, feedback] = await db.batch([
    db.prepare(`SELECT label, COUNT(*) AS n, SUM(score) AS score ${AB_ROWS} GROUP BY label ORDER BY label`).bind(...bind),
    db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(f.predicted_label = f.label), 0) AS correct
           FROM feedback f JOIN predictions p ON p.id = f.prediction_id
           WHERE f.model_name = ?1 AND f.model_version = ?2 AND f.predicted_at >= ?3 AND f.predicted_at <= ?4 AND (?5 IS NULL OR p.source = ?5)`,
      )
      .bind(...bind),
  ]);
  return { labels: labels!.results as { label: string; n: number; score: number }[], feedback: feedback!.results[0] as { n: number; correct: number } };
}

/** The per-text latency at 0-based rank `offset` (by latency) of a version's rows, or null. */
export async function abLatencyAtRank(db: D1Database, r: AbRange, offset: number): Promise<number | null> {
  return (await db.prepare(`SELECT latency_ms ${AB_ROWS} ORDER BY latency_ms LIMIT 1 OFFSET ?6`).bind(...abBind(r), offset).first<{ latency_ms: number }>())?.latency_ms ?? null;
}
