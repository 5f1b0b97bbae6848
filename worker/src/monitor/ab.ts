/**
 * The A/B readout (GET /api/v1/ab, registry ab-api.ts): two versions of a model compared over the
 * period in which both have history rows (the overlap, inside the last `days` days), so that both
 * saw the same days' traffic. Per version: rows, label mix, mean confidence, latency p50/p95
 * (nearest rank, from the per-text latency the history stores) and accuracy on feedback; between
 * them: label-mix difference, agreement on shadow pairs (the same text scored by both) and the
 * accuracy difference with Newcombe's 95 % interval. Every figure is b − a.
 */
import {
  labelMixDifference,
  labelShares,
  nearestRankIndex,
  newcombeDifference,
  wilsonInterval,
  type AbReadout,
  type AbVersion,
  type PredictionSource,
} from '@sentiment-edge/registry';
import { abLatencyAtRank, abVersionRows, versionSpans } from '../db/history-aggregates.ts';
import { shadowPairAgreement } from '../db/shadow.ts';
import { existingVersions, getModel } from '../db/versions.ts';
import { ApiError } from '../errors.ts';

export const DEFAULT_AB_DAYS = 7;
export const MAX_AB_DAYS = 90;

export interface AbOptions {
  model: string;
  a: number;
  b: number;
  days?: number;
  source?: PredictionSource;
  now?: Date;
}

const DAY_MS = 86_400_000;

/** Builds the readout. 404 for an unknown model or version, 400 when a = b. */
export async function abReadout(db: D1Database, opts: AbOptions): Promise<AbReadout> {
  const { model, a, b } = opts;
  if (a === b) throw ApiError.badRequest(`a and b are both version ${a}; compare two different versions (e.g. the champion and the canary)`);
  const days = opts.days ?? DEFAULT_AB_DAYS;
  const now = opts.now ?? new Date();
  const window = { start: new Date(now.getTime() - days * DAY_MS).toISOString(), end: now.toISOString(), days };
  const source = opts.source ?? null;

  if (!(await getModel(db, model))) throw ApiError.notFound(`no model named "${model}"`);
  const known = await existingVersions(db, model, [a, b]);
  const missing = [a, b].filter((v) => !known.includes(v));
  if (missing.length) throw ApiError.notFound(`model ${model} has no version ${missing.join(' or ')}`, { missing });

  const [sa, sb] = await versionSpans(db, model, [a, b], window.start, window.end, source);
  let overlap: AbReadout['overlap'] = null;
  if (sa.first && sb.first && sa.last && sb.last) {
    const start = sa.first > sb.first ? sa.first : sb.first;
    const end = sa.last < sb.last ? sa.last : sb.last;
    if (start <= end) overlap = { start, end };
  }

  const stats = async (version: number): Promise<AbVersion> => {
    const empty: AbVersion = { version, n: 0, labels: {}, labelMix: {}, meanConfidence: null, latencyMs: { p50: null, p95: null }, feedback: { n: 0, correct: 0, accuracy: null, interval: null } };
    if (!overlap) return empty;
    const range = { model, version, start: overlap.start, end: overlap.end, source };
    const { labels: byLabel, feedback: fb } = await abVersionRows(db, range);
    const n = byLabel.reduce((s, r) => s + r.n, 0);
    if (n === 0) return empty;
    const counts = Object.fromEntries(byLabel.map((r) => [r.label, r.n]));
    const latency = (q: number) => abLatencyAtRank(db, range, nearestRankIndex(n, q));
    const [p50, p95] = [await latency(0.5), await latency(0.95)];
    return {
      version,
      n,
      labels: counts,
      labelMix: labelShares(counts),
      meanConfidence: byLabel.reduce((s, r) => s + r.score, 0) / n,
      latencyMs: { p50, p95 },
      feedback: { n: fb.n, correct: fb.correct, accuracy: fb.n ? fb.correct / fb.n : null, interval: wilsonInterval(fb.correct, fb.n) },
    };
  };
  const [va, vb] = [await stats(a), await stats(b)];

  // Shadow pairs in the whole window, either way round (a as champion and b as challenger, or the reverse).
  const shadow = await shadowPairAgreement(db, model, a, b, window.start, window.end);

  const diff = newcombeDifference(vb.feedback.correct, vb.feedback.n, va.feedback.correct, va.feedback.n);
  return {
    model,
    window,
    overlap,
    source,
    a: va,
    b: vb,
    labelMixDifference: va.n && vb.n ? labelMixDifference(va.labelMix, vb.labelMix) : null,
    meanConfidenceDifference: va.meanConfidence !== null && vb.meanConfidence !== null ? vb.meanConfidence - va.meanConfidence : null,
    agreement: { rows: shadow?.n ?? 0, agreement: shadow?.n ? shadow.same / shadow.n : null },
    accuracyDifference: diff ? { ...diff, method: 'newcombe', confidence: 0.95 } : null,
  };
}
