/** The device's history as a file a person can keep: CSV (one row per prediction, a column per label) or JSON. */
import Papa from 'papaparse';
import type { LocalHistoryRecord } from './history-store.ts';
import { answerWording } from './honest.ts';

/**
 * CSV with the text, the answer, one `p_<label>` column per label seen, the wording rule's note ("unsure",
 * "unreliable: …", as shown in the history), the user's correction and its sync state, the model and the row's
 * sync state.
 */
export function historyToCsv(rows: readonly LocalHistoryRecord[]): string {
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.probabilities)))].sort();
  const fields = ['created_at', 'text', 'label', 'confidence', ...labels.map((l) => `p_${l}`), 'note', 'corrected_label', 'correction_state', 'model', 'version', 'source', 'latency_ms', 'sync_state', 'id'];
  const data = rows.map((r) => [
    r.createdAt,
    r.text ?? '',
    r.label,
    r.score.toFixed(4),
    ...labels.map((l) => (r.probabilities[l] === undefined ? '' : r.probabilities[l].toFixed(4))),
    answerWording({ score: r.score, unknownShare: r.unknownShare }).note,
    r.feedback?.label ?? '',
    r.feedback?.state ?? '',
    r.model.name,
    String(r.model.version),
    r.source,
    String(r.latencyMs),
    r.syncState,
    r.id,
  ]);
  // A leading =, +, - or @ would run as a formula in a spreadsheet: escape it as OWASP suggests.
  return Papa.unparse({ fields, data }, { escapeFormulae: true });
}

/** JSON: the rows as stored (the API's HistoryRecord plus syncState), pretty-printed. */
export function historyToJson(rows: readonly LocalHistoryRecord[]): string {
  return JSON.stringify({ exportedAt: new Date().toISOString(), count: rows.length, items: rows }, null, 2);
}

/** "sentiment-history-2026-11-30.csv" */
export function exportFileName(ext: 'csv' | 'json', now = new Date()): string {
  return `sentiment-history-${now.toISOString().slice(0, 10)}.${ext}`;
}
