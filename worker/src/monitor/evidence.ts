/**
 * What the promotion policy judges (registry/src/policy.ts `PromotionEvidence`), read from D1 over
 * one window: from the moment the candidate's alias was last set to now. For the candidate and the
 * champion alike: answered texts (history), failed texts (version_errors), CBPE estimated accuracy,
 * realised accuracy from feedback (db/feedback.ts, as the drift report uses it), and p95 latency of edge
 * rows. For the candidate also the champion texts it shadow-scored (window.ts readShadow): their
 * agreement, and their challenger confidences count in its CBPE estimate (Σp, Σp(1−p) of its own rows
 * and of its shadow rows together).
 */
import { estimateAccuracyFromSums, type PromotionEvidence, type VersionEvidence } from '@sentiment-edge/registry';
import { windowRealisedAccuracy } from '../db/feedback.ts';
import { countVersionErrors } from './version-errors.ts';
import { readShadow } from './window.ts';

const OWN = `FROM predictions INDEXED BY predictions_by_model WHERE model_name = ?1 AND created_at >= ?3 AND created_at < ?4 AND model_version = ?2`;

interface Sums {
  rows: number;
  sumP: number;
  sumPQ: number;
}

async function versionFigures(db: D1Database, name: string, version: number, start: string, end: string, extra: Sums = { rows: 0, sumP: 0, sumPQ: 0 }): Promise<VersionEvidence> {
  const [totals, edge] = await db.batch<{ n: number; p: number; pq: number }>([
    db.prepare(`SELECT COUNT(*) AS n, TOTAL(score) AS p, TOTAL(score * (1 - score)) AS pq ${OWN}`).bind(name, version, start, end),
    db.prepare(`SELECT COUNT(*) AS n, 0 AS p, 0 AS pq ${OWN} AND source = 'edge'`).bind(name, version, start, end),
  ]);
  const t = totals!.results[0]!;
  const edgeRows = Number(edge!.results[0]!.n);
  let latencyP95Ms: number | null = null;
  if (edgeRows > 0) {
    // The nearest-rank p95: the ⌈0.95·n⌉-th smallest per-text latency.
    const row = await db
      .prepare(`SELECT latency_ms AS l ${OWN} AND source = 'edge' ORDER BY latency_ms LIMIT 1 OFFSET ?5`)
      .bind(name, version, start, end, Math.ceil(0.95 * edgeRows) - 1)
      .first<{ l: number }>();
    latencyP95Ms = row ? Number(row.l) : null;
  }
  const rows = Number(t.n);
  const failed = await countVersionErrors(db, name, version, start, end);
  const cbpe = estimateAccuracyFromSums(rows + extra.rows, Number(t.p) + extra.sumP, Number(t.pq) + extra.sumPQ);
  return {
    version,
    rows,
    failed,
    errorRate: rows + failed > 0 ? failed / (rows + failed) : null,
    estimatedAccuracy: cbpe?.estimate ?? null,
    realisedAccuracy: await windowRealisedAccuracy(db, name, version, start, end),
    latencyP95Ms,
  };
}

/** The evidence for `candidate` (an alias set at `since`) against `champion` (its alias set at `since`; null: the model has none) at `at`. */
export async function readEvidence(
  db: D1Database,
  name: string,
  candidate: { alias: 'canary' | 'challenger'; version: number; since: string },
  champion: { version: number; since: string } | null,
  at: string,
): Promise<PromotionEvidence> {
  const start = candidate.since;
  let shadow: PromotionEvidence['candidate']['shadow'] = null;
  let shadowSums: Sums = { rows: 0, sumP: 0, sumPQ: 0 };
  if (champion !== null) {
    const summary = await readShadow(db, name, champion.version, start, at, candidate.version);
    if (summary) {
      shadow = { rows: summary.rows, agreement: summary.agreement };
      const s = await db
        .prepare(
          `SELECT COUNT(*) AS n, TOTAL(challenger_score) AS p, TOTAL(challenger_score * (1 - challenger_score)) AS pq FROM shadow_predictions
           WHERE model_name = ?1 AND champion_version = ?2 AND challenger_version = ?3 AND created_at >= ?4 AND created_at < ?5`,
        )
        .bind(name, champion.version, candidate.version, start, at)
        .first<{ n: number; p: number; pq: number }>();
      shadowSums = { rows: Number(s!.n), sumP: Number(s!.p), sumPQ: Number(s!.pq) };
    }
  }
  return {
    at,
    candidate: { ...(await versionFigures(db, name, candidate.version, start, at, shadowSums)), alias: candidate.alias, since: candidate.since, shadow },
    champion: champion === null ? null : { ...(await versionFigures(db, name, champion.version, start, at)), since: champion.since },
  };
}
