/**
 * What the promotion policy judges (registry/src/policy.ts `PromotionEvidence`), read from D1 over
 * one window: from the moment the candidate's alias was last set to now. For the candidate and the
 * champion alike: answered texts (history), failed texts (version_errors), CBPE estimated accuracy,
 * realised accuracy from feedback (db/feedback.ts, as the drift report uses it), and p95 latency of edge
 * rows. For the candidate also the champion texts it shadow-scored (db/shadow.ts readShadow): their
 * agreement, and their challenger confidences count in its CBPE estimate (Σp, Σp(1−p) of its own rows
 * and of its shadow rows together).
 *
 * Only trusted evidence: edge rows, shadow pairs, failures that are the version's fault
 * (db/promotion.ts version_errors), feedback from trusted clients; synced browser rows only where the policy opts in
 * (`browserEvidence`, bounded and with outliers left out: browserSums). `sources` records what was counted.
 */
import { estimateAccuracyFromSums, tukeyInliers, type BrowserEvidence, type EvidenceSources, type PromotionEvidence, type VersionEvidence } from '@sentiment-edge/registry';
import { accuracyOf, windowFeedback } from '../db/feedback.ts';
import { browserClientDaySums, browserRowCount, edgeLatencyAtRank, edgeScoreSums } from '../db/history-aggregates.ts';
import { countVersionErrors } from '../db/promotion.ts';
import { challengerScoreSums, readShadow } from '../db/shadow.ts';

interface Sums {
  rows: number;
  sumP: number;
  sumPQ: number;
}

const NONE: Sums = { rows: 0, sumP: 0, sumPQ: 0 };

/**
 * The synced browser rows the policy counts: none unless it opts in (`browser` not null); then
 * at most `maxRowsPerClientDay` rows per client (the sha256 prefix of the syncing address) and UTC day,
 * the earliest first, and no client-day whose mean confidence is a Tukey outlier among all client-days.
 */
async function browserSums(db: D1Database, name: string, version: number, start: string, end: string, browser: BrowserEvidence | null): Promise<{ sums: Sums; sources: EvidenceSources['browser'] }> {
  const sources = { stored: await browserRowCount(db, name, version, start, end), counted: 0, clientDays: 0, outlierClientDays: 0 };
  if (browser === null || sources.stored === 0) return { sums: NONE, sources };
  const results = await browserClientDaySums(db, name, version, start, end, browser.maxRowsPerClientDay);
  const keep = tukeyInliers(results.map((g) => g.p / g.n));
  const sums = { ...NONE };
  results.forEach((g, i) => {
    if (!keep[i]) return;
    sums.rows += g.n;
    sums.sumP += g.p;
    sums.sumPQ += g.pq;
  });
  return { sums, sources: { ...sources, counted: sums.rows, clientDays: results.length, outlierClientDays: keep.filter((k) => !k).length } };
}

async function versionFigures(db: D1Database, name: string, version: number, start: string, end: string, browser: BrowserEvidence | null, extra: Sums = NONE): Promise<VersionEvidence> {
  const edge = await edgeScoreSums(db, name, version, start, end);
  const edgeRows = Number(edge.n);
  let latencyP95Ms: number | null = null;
  if (edgeRows > 0) {
    // The nearest-rank p95: the ⌈0.95·n⌉-th smallest per-text latency.
    latencyP95Ms = await edgeLatencyAtRank(db, name, version, start, end, Math.ceil(0.95 * edgeRows) - 1);
  }
  const fromBrowser = await browserSums(db, name, version, start, end, browser);
  const rows = edgeRows + fromBrowser.sums.rows;
  const failed = await countVersionErrors(db, name, version, start, end);
  const feedback = await windowFeedback(db, name, version, start, end, { browserRows: browser !== null });
  const cbpe = estimateAccuracyFromSums(rows + extra.rows, Number(edge.p) + fromBrowser.sums.sumP + extra.sumP, Number(edge.pq) + fromBrowser.sums.sumPQ + extra.sumPQ);
  return {
    version,
    rows,
    failed,
    errorRate: rows + failed > 0 ? failed / (rows + failed) : null,
    estimatedAccuracy: cbpe?.estimate ?? null,
    realisedAccuracy: accuracyOf(feedback),
    latencyP95Ms,
    sources: { edge: edgeRows, browser: fromBrowser.sources, failed, feedback: { trusted: feedback.trusted, untrusted: feedback.untrusted } },
  };
}

/**
 * The evidence for `candidate` (an alias set at `since`) against `champion` (its alias set at `since`; null:
 * the model has none) at `at`; `browser`: the policy's browserEvidence (null: browser rows are not counted).
 */
export async function readEvidence(
  db: D1Database,
  name: string,
  candidate: { alias: 'canary' | 'challenger'; version: number; since: string },
  champion: { version: number; since: string } | null,
  at: string,
  browser: BrowserEvidence | null = null,
): Promise<PromotionEvidence> {
  const start = candidate.since;
  let shadow: PromotionEvidence['candidate']['shadow'] = null;
  let shadowSums: Sums = NONE;
  if (champion !== null) {
    const summary = await readShadow(db, name, champion.version, start, at, candidate.version);
    if (summary) {
      shadow = { rows: summary.rows, agreement: summary.agreement };
      shadowSums = await challengerScoreSums(db, name, champion.version, candidate.version, start, at);
    }
  }
  return {
    at,
    candidate: { ...(await versionFigures(db, name, candidate.version, start, at, browser, shadowSums)), alias: candidate.alias, since: candidate.since, shadow },
    champion: champion === null ? null : { ...(await versionFigures(db, name, champion.version, start, at, browser)), since: champion.since },
  };
}
