/**
 * Shadow scoring: a SHADOW_RATE share of edge /predict requests answered by a model's champion are
 * also scored by its challenger, after the answer (the request's waitUntil), so the answer never
 * waits for it. One `shadow_predictions` row per text: both labels and the challenger's confidence,
 * keyed by the champion's history row id; no text is stored. The hourly job summarises them per
 * window in the champion's drift report (db/shadow.ts readShadow).
 *
 * Browser predictions are not shadow-scored: the Worker never sees their texts (and may not keep
 * them), only the synced result.
 */
import type { HistoryRecord } from '@sentiment-edge/registry';
import { analyze, modelCache, versionAtFault, type Precision } from '../inference/model-cache.ts';
import { recordVersionError } from '../db/promotion.ts';
import { insertShadowRows } from '../db/shadow.ts';
import { aliasVersion, CHALLENGER, CHAMPION, type LookupOptions } from '../inference/alias-cache.ts';

export interface ShadowEnv {
  DB: D1Database;
  MODELS: R2Bucket;
}

/** Whether this request is sampled: it was answered by `NAME@champion` and the coin says so. */
export function sampleShadow(ref: string, name: string, rate: number, random = Math.random): boolean {
  return rate > 0 && ref === `${name}@${CHAMPION}` && random() < rate;
}

/**
 * Scores `texts` with the model's challenger (if it has one other than the champion) and records
 * the comparison with the champion's rows. Returns how many rows were written.
 */
export async function scoreShadow(env: ShadowEnv, name: string, championVersion: number, precision: Precision, texts: readonly string[], rows: readonly HistoryRecord[], resolve: Omit<LookupOptions, 'now'> = {}): Promise<number> {
  const challenger = await aliasVersion(env.DB, name, CHALLENGER, resolve);
  if (challenger === null || challenger === championVersion) return 0;
  let model: Awaited<ReturnType<typeof modelCache.get>>;
  let probabilities: Float32Array[];
  try {
    model = await modelCache.get(env, name, challenger, precision);
    if (model.evicted) model = await modelCache.get(env, name, challenger, precision);
    ({ probabilities } = await analyze(model, texts));
  } catch (e) {
    // The challenger's own failures count in its error rate (the promotion policy); not a precision it lacks.
    if (versionAtFault(e)) await recordVersionError(env.DB, name, challenger, texts.length);
    throw e;
  }
  const tuples = probabilities.map((p, i) => {
    let best = 0;
    for (let j = 1; j < p.length; j++) if (p[j]! > p[best]!) best = j;
    const r = rows[i]!;
    return [r.id, r.createdAt, name, championVersion, challenger, r.label, model.labels[best]!, p[best]!];
  });
  return insertShadowRows(env.DB, tuples);
}
