/**
 * Evaluation runs: parse a labelled CSV with the registry's parser (the one `pnpm evaluate` uses),
 * score it with the same session cache and engine as /predict in batches of EVALUATION_BATCH texts,
 * and compute the metrics with the registry's one implementation (registry/src/metrics.ts).
 * The route (routes/evaluations.ts) runs the steps inline; every step takes plain data so that a
 * Queue consumer can run them unchanged for long runs (see there).
 */
import { DatasetError, scoreLabelled, EVALUATION_BATCH, mapLabels, MAX_EVALUATION_ROWS, parseLabelledDelimited, type EvaluationMetrics, type LabelledRow } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { classify, modelCache, type LoadedModel, type ModelStore, type Precision } from './model-cache.ts';

export interface ParsedDataset {
  texts: string[];
  labelIds: Int32Array;
}

/** Records parsed between two yields to the isolate's other requests. */
export const PARSE_PIECE_ROWS = 1_000;

/**
 * Splits CSV text into pieces of `rows` records each (the last may be shorter), cutting only at a line
 * break outside quotes (RFC 4180: a doubled quote inside a quoted field keeps the parity), so that every
 * piece parses on its own. Returns the offsets where pieces start.
 */
export function csvPieceStarts(content: string, rows: number): number[] {
  const starts = [0];
  let quoted = false;
  let records = 0;
  for (let i = 0; i < content.length; i++) {
    const ch = content.charCodeAt(i);
    if (ch === 34) quoted = !quoted;
    else if (ch === 10 && !quoted && ++records % rows === 0 && i + 1 < content.length) starts.push(i + 1);
  }
  return starts;
}

const newlines = (s: string) => s.split('\n').length - 1;

/**
 * Parses the CSV (header with `text` and `label`) and maps its labels to the model's: 400 with the line for
 * any problem. Parsed PARSE_PIECE_ROWS records at a time, yielding between pieces (`scheduler.wait(0)`), so
 * that a 100,000-row upload does not hold the isolate's other requests for the whole parse.
 */
export async function parseEvaluationCsv(content: string, modelLabels: readonly string[], source: string): Promise<ParsedDataset> {
  try {
    const starts = csvPieceStarts(content, PARSE_PIECE_ROWS);
    const header = content.slice(0, starts[1] ?? content.length).split(/\r?\n/, 1)[0]!;
    const rows: LabelledRow[] = [];
    let linesBefore = 0;
    for (let p = 0; p < starts.length; p++) {
      const piece = content.slice(starts[p], starts[p + 1] ?? content.length);
      // Later pieces get the header again; their line numbers are shifted back to the file's.
      const shift = p === 0 ? 0 : linesBefore - 1;
      linesBefore += newlines(piece);
      if (p > 0) await scheduler.wait(0);
      try {
        for (const row of parseLabelledDelimited(p === 0 ? piece : `${header}\n${piece}`, { source })) rows.push(shift ? { ...row, line: row.line + shift } : row);
      } catch (e) {
        if (e instanceof DatasetError && shift && e.line !== undefined) throw new DatasetError(e.message.replace(`line ${e.line}`, `line ${e.line + shift}`), e.line + shift);
        throw e;
      }
      if (rows.length > MAX_EVALUATION_ROWS) break;
    }
    if (rows.length > MAX_EVALUATION_ROWS) {
      throw new ApiError(413, 'payload_too_large', `${source} has more than ${MAX_EVALUATION_ROWS} rows; an evaluation scores at most ${MAX_EVALUATION_ROWS}. Split the file`, { max: MAX_EVALUATION_ROWS });
    }
    const { labelIds } = mapLabels(rows, modelLabels, source);
    return { texts: rows.map((r) => r.text), labelIds };
  } catch (e) {
    if (e instanceof DatasetError) throw new ApiError(400, 'validation_failed', e.message, { line: e.line ?? null, labels: modelLabels });
    throw e;
  }
}

/**
 * Scores texts on a cached model, batch by batch; takes a fresh session when the cached one was evicted
 * meanwhile. Between batches it yields to the isolate's other requests (`scheduler.wait(0)`: a macrotask),
 * so /live and /predict wait at most one batch while an evaluation runs, not the whole run.
 */
export async function scoreTexts(store: ModelStore, model: LoadedModel, texts: readonly string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  let m = model;
  for (let i = 0; i < texts.length; i += EVALUATION_BATCH) {
    if (i > 0) await scheduler.wait(0);
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
