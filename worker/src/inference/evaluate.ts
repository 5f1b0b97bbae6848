/**
 * Evaluation runs: parse a labelled CSV with the registry's parser (the one `pnpm evaluate` uses),
 * score it with the same session cache and engine as /predict in batches of EVALUATION_BATCH texts,
 * and compute the metrics with the registry's one implementation (registry/src/metrics.ts).
 * The route (routes/evaluations.ts) runs the steps inline; every step takes plain data so that a
 * Queue consumer can run them unchanged for long runs (see there).
 */
import { DatasetError, scoreLabelled, EVALUATION_BATCH, mapLabels, MAX_EVALUATION_ROWS, parseLabelledDelimited, type EvaluationMetrics } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { classify, modelCache, type LoadedModel, type ModelStore, type Precision } from './models.ts';

export interface ParsedDataset {
  texts: string[];
  labelIds: Int32Array;
}

/** Parses the CSV (header with `text` and `label`) and maps its labels to the model's: 400 with the line for any problem. */
export function parseEvaluationCsv(content: string, modelLabels: readonly string[], source: string): ParsedDataset {
  try {
    const rows = parseLabelledDelimited(content, { source });
    if (rows.length > MAX_EVALUATION_ROWS) {
      throw new ApiError(413, 'payload_too_large', `${source} has ${rows.length} rows; an evaluation scores at most ${MAX_EVALUATION_ROWS}. Split the file`, { rows: rows.length, max: MAX_EVALUATION_ROWS });
    }
    const { labelIds } = mapLabels(rows, modelLabels, source);
    return { texts: rows.map((r) => r.text), labelIds };
  } catch (e) {
    if (e instanceof DatasetError) throw new ApiError(400, 'validation_failed', e.message, { line: e.line ?? null, labels: modelLabels });
    throw e;
  }
}

/** Scores texts on a cached model, batch by batch; takes a fresh session when the cached one was evicted meanwhile. */
export async function scoreTexts(store: ModelStore, model: LoadedModel, texts: readonly string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  let m = model;
  for (let i = 0; i < texts.length; i += EVALUATION_BATCH) {
    if (m.evicted) m = await modelCache.get(store, m.name, m.version, m.precision);
    out.push(...(await classify(m, texts.slice(i, i + EVALUATION_BATCH))));
  }
  return out;
}

/** The stored numbers of a scored dataset. */
export function evaluationMetrics(gold: Int32Array, probabilities: readonly Float32Array[], labels: readonly string[]): EvaluationMetrics {
  // Scored as publish-model and `pnpm evaluate` score: polar for a 3-label model on a negative/positive file.
  const m = scoreLabelled(gold, probabilities, labels);
  return { accuracy: m.accuracy, macroF1: m.macroF1, macroRecall: m.macroRecall, ece: m.ece, perClass: m.perClass, confusion: m.confusion };
}
