/** CSV in and out for batch classification (papaparse). */
import Papa from 'papaparse';
import type { Prediction } from '@sentiment-edge/registry';

export interface Table {
  fields: string[];
  rows: Record<string, string>[];
}

export function parseCsv(text: string): Table {
  return inspectCsv(text).table;
}

/** Something about a CSV the user should know before classifying it (nothing is dropped silently). */
export interface CsvWarning {
  kind: 'unclosed-quote' | 'field-count' | 'no-header';
  message: string;
}

export interface InspectedCsv {
  table: Table;
  warnings: CsvWarning[];
}

/** A first-line value that reads like data rather than a column name: a number, or a phrase (4+ words or 40+ characters). */
function looksLikeData(v: string): boolean {
  const t = v.trim();
  return /^[-+]?\d+([.,]\d+)?$/.test(t) || t.split(/\s+/).length >= 4 || t.length >= 40;
}

/**
 * Parses a CSV and says what may have gone wrong: a quote that is never closed (the rest of the file
 * merges into one value), rows with more or fewer values than the header, and a first line that looks
 * like data rather than column names (`firstLineIsData: true` reads it as a row, columns column_1…).
 * Throws with a message for people when there is nothing to classify.
 */
export function inspectCsv(text: string, opts: { firstLineIsData?: boolean } = {}): InspectedCsv {
  const src = text.replace(/^\uFEFF/, '');
  if (src.trim() === '') throw new Error('the file is empty');
  const warnings: CsvWarning[] = [];
  let table: Table;
  let errors: Papa.ParseError[];
  if (opts.firstLineIsData) {
    const r = Papa.parse<string[]>(src, { header: false, skipEmptyLines: 'greedy', dynamicTyping: false });
    const width = Math.max(0, ...r.data.map((row) => row.length));
    const fields = Array.from({ length: width }, (_, i) => `column_${i + 1}`);
    table = { fields, rows: r.data.map((row) => Object.fromEntries(fields.map((f, i) => [f, row[i] ?? '']))) };
    errors = r.errors;
  } else {
    const r = Papa.parse<Record<string, string>>(src, { header: true, skipEmptyLines: 'greedy', dynamicTyping: false });
    const fields = (r.meta.fields ?? []).filter((f) => f !== '');
    if (fields.length === 0) throw new Error('the first line names no columns: it must hold the column names (for example "id,text")');
    table = { fields, rows: r.data };
    errors = r.errors;
    if (fields.some(looksLikeData)) {
      warnings.push({
        kind: 'no-header',
        message: `The first line ("${fields.join(', ').slice(0, 60)}") looks like data, not column names: as it stands it is not classified.`,
      });
    }
  }
  const quote = errors.find((e) => e.type === 'Quotes');
  if (quote) {
    const line = quote.index === undefined ? '' : ` on line ${src.slice(0, quote.index).split('\n').length} of the file`;
    warnings.push({
      kind: 'unclosed-quote',
      message: `A quote (") is opened${line} and never closed, so the lines after it were read as one value. Check that line in the file.`,
    });
  }
  // Papa's `row` is the data row's index: shown 1-based, as the results table numbers rows.
  const uneven = errors.filter((e) => e.type === 'FieldMismatch').map((e) => (e.row ?? 0) + 1);
  if (uneven.length > 0) {
    warnings.push({
      kind: 'field-count',
      message: `${uneven.length === 1 ? 'Row' : 'Rows'} ${listRows(uneven)} ${uneven.length === 1 ? 'has' : 'have'} more or fewer values than there are columns: a missing value is read as empty, and values beyond the last column are left out of the classification and the download.`,
    });
  }
  if (table.rows.length === 0) throw new Error('the file has column names but no rows to classify');
  return { table, warnings };
}

/** "3", "3 and 9", "3, 9 and 12", "3, 9, 12, 15, 20 and 4 more" (row numbers, 1-based). */
export function listRows(rows: readonly number[], show = 5): string {
  const head = rows.slice(0, show).map(String);
  if (rows.length > show) return `${head.join(', ')} and ${rows.length - show} more`;
  return head.length <= 1 ? (head[0] ?? '') : `${head.slice(0, -1).join(', ')} and ${head[head.length - 1]}`;
}

/** Indexes of the rows whose text is empty (or only spaces): never classified, named to the user instead. */
export function emptyRows(texts: readonly string[]): number[] {
  return texts.flatMap((t, i) => (t.trim() === '' ? [i] : []));
}

/** Pasted text: one row per non-empty line, column "text". */
export function linesToTable(text: string): Table {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => ({ text: l }));
  return { fields: ['text'], rows };
}

const TEXT_NAMES = ['text', 'review', 'sentence', 'content', 'comment', 'body', 'message', 'tweet'];

/** The column most likely to hold the text: a well-known name, else the longest values on average. */
export function guessTextColumn(t: Table): string {
  const lower = t.fields.map((f) => f.toLowerCase());
  for (const n of TEXT_NAMES) {
    const i = lower.indexOf(n);
    if (i >= 0) return t.fields[i]!;
  }
  const sample = t.rows.slice(0, 200);
  let best = t.fields[0]!;
  let bestLen = -1;
  for (const f of t.fields) {
    const avg = sample.reduce((s, r) => s + (r[f]?.length ?? 0), 0) / Math.max(1, sample.length);
    if (avg > bestLen) [best, bestLen] = [f, avg];
  }
  return best;
}

/** Column names added to the download; never clobber an existing column. */
export function predictionColumns(fields: readonly string[], labels: readonly string[]): { label: string; score: string; probs: string[]; note: string } {
  const free = (n: string) => {
    let c = n;
    for (let i = 2; fields.includes(c); i++) c = `${n}_${i}`;
    return c;
  };
  return { label: free('predicted_label'), score: free('confidence'), probs: labels.map((l) => free(`p_${l}`)), note: free('note') };
}

/** A row's answer in the download: a prediction with its wording note, or null for a row that was skipped (empty). */
export type RowResult = { prediction: Prediction; note: string } | null;

/** What the `note` column says for a row skipped because its text is empty. */
export const EMPTY_ROW_NOTE = 'empty: skipped';

/**
 * The input CSV with prediction columns appended (rows in input order): label, confidence, one probability per
 * label and `note` (the wording rule's "unsure" / "unreliable: …", or "empty: skipped"). Formula-like cells are
 * escaped, as in the history export.
 */
export function augmentCsv(t: Table, results: readonly RowResult[], labels: readonly string[]): string {
  if (results.length !== t.rows.length) throw new Error(`${results.length} predictions for ${t.rows.length} rows`);
  const cols = predictionColumns(t.fields, labels);
  const data = t.rows.map((row, i) => {
    const r = results[i];
    const out: Record<string, string> = {};
    for (const f of t.fields) out[f] = row[f] ?? '';
    out[cols.label] = r ? r.prediction.label : '';
    out[cols.score] = r ? r.prediction.score.toFixed(4) : '';
    labels.forEach((l, j) => (out[cols.probs[j]!] = r ? (r.prediction.probabilities[l] ?? 0).toFixed(4) : ''));
    out[cols.note] = r ? r.note : EMPTY_ROW_NOTE;
    return out;
  });
  // A leading =, +, - or @ would run as a formula in a spreadsheet: escaped as OWASP suggests (historyToCsv does the same).
  return Papa.unparse({ fields: [...t.fields, cols.label, cols.score, ...cols.probs, cols.note], data }, { escapeFormulae: true });
}

/** label → count, in label order. */
export function labelSummary(predictions: readonly Prediction[], labels: readonly string[]): { label: string; count: number; share: number }[] {
  const counts = new Map(labels.map((l) => [l, 0]));
  for (const p of predictions) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  const n = Math.max(1, predictions.length);
  return [...counts].map(([label, count]) => ({ label, count, share: count / n }));
}
