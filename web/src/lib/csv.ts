/** CSV in and out for batch classification (papaparse). */
import Papa from 'papaparse';
import type { Prediction } from '@sentiment-edge/registry';

export interface Table {
  fields: string[];
  rows: Record<string, string>[];
}

export function parseCsv(text: string): Table {
  const r = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy', dynamicTyping: false });
  const fields = (r.meta.fields ?? []).filter((f) => f !== '');
  if (fields.length === 0) throw new Error('the CSV has no header row: the first line must name the columns');
  return { fields, rows: r.data };
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
export function predictionColumns(fields: readonly string[], labels: readonly string[]): { label: string; score: string; probs: string[] } {
  const free = (n: string) => {
    let c = n;
    for (let i = 2; fields.includes(c); i++) c = `${n}_${i}`;
    return c;
  };
  return { label: free('predicted_label'), score: free('confidence'), probs: labels.map((l) => free(`p_${l}`)) };
}

/** The input CSV with prediction columns appended (rows in input order). */
export function augmentCsv(t: Table, predictions: readonly Prediction[], labels: readonly string[]): string {
  if (predictions.length !== t.rows.length) throw new Error(`${predictions.length} predictions for ${t.rows.length} rows`);
  const cols = predictionColumns(t.fields, labels);
  const data = t.rows.map((row, i) => {
    const p = predictions[i]!;
    const out: Record<string, string> = {};
    for (const f of t.fields) out[f] = row[f] ?? '';
    out[cols.label] = p.label;
    out[cols.score] = p.score.toFixed(4);
    labels.forEach((l, j) => (out[cols.probs[j]!] = (p.probabilities[l] ?? 0).toFixed(4)));
    return out;
  });
  return Papa.unparse({ fields: [...t.fields, cols.label, cols.score, ...cols.probs], data });
}

/** label → count, in label order. */
export function labelSummary(predictions: readonly Prediction[], labels: readonly string[]): { label: string; count: number; share: number }[] {
  const counts = new Map(labels.map((l) => [l, 0]));
  for (const p of predictions) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  const n = Math.max(1, predictions.length);
  return [...counts].map(([label, count]) => ({ label, count, share: count / n }));
}
