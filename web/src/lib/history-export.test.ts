import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { exportFileName, historyToCsv, historyToJson } from './history-export.ts';
import { row } from '../../test/rows.ts';

describe('history export', () => {
  it('writes one CSV row per prediction with every label probability, quoting commas and newlines', () => {
    const rows = [
      row({ text: 'great, really\ngood', label: 'positive', score: 0.9, probabilities: { negative: 0.1, positive: 0.9 } }),
      row({ text: null, label: 'neutral', score: 0.5, probabilities: { negative: 0.2, neutral: 0.5, positive: 0.3 }, syncState: 'synced' }),
    ];
    const parsed = Papa.parse<Record<string, string>>(historyToCsv(rows), { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(['created_at', 'text', 'label', 'confidence', 'p_negative', 'p_neutral', 'p_positive', 'note', 'corrected_label', 'correction_state', 'model', 'version', 'source', 'latency_ms', 'sync_state', 'id']);
    expect(parsed.data).toHaveLength(2);
    expect(parsed.data[0]).toMatchObject({ text: 'great, really\ngood', label: 'positive', confidence: '0.9000', p_neutral: '', p_positive: '0.9000', sync_state: 'pending', id: rows[0]!.id });
    expect(parsed.data[1]).toMatchObject({ text: '', label: 'neutral', p_neutral: '0.5000', sync_state: 'synced' });
  });

  it('carries the wording note shown in the history and the user\'s corrections (as the JSON export does)', () => {
    const rows = [
      row({ label: 'negative', score: 0.45, probabilities: { negative: 0.45, positive: 0.55 } }),
      row({ label: 'neutral', score: 0.98, unknownShare: 1, probabilities: { neutral: 0.98, positive: 0.02 } }),
      row({ label: 'positive', score: 0.9, feedback: { label: 'negative', state: 'synced', at: '2026-12-05T10:00:00Z' } }),
    ];
    const parsed = Papa.parse<Record<string, string>>(historyToCsv(rows), { header: true, skipEmptyLines: true });
    expect(parsed.data.map((r) => r.note)).toEqual(['unsure', 'unreliable: most words are unknown to the model', '']);
    expect(parsed.data.map((r) => [r.corrected_label, r.correction_state])).toEqual([['', ''], ['', ''], ['negative', 'synced']]);
  });

  it('defuses spreadsheet formulas in texts', () => {
    const csv = historyToCsv([row({ text: '=HYPERLINK("http://x")' })]);
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    expect(parsed.data[0]!.text!.startsWith("'=")).toBe(true);
  });

  it('writes JSON that reads back to the same rows', () => {
    const rows = [row(), row({ syncState: 'rejected', syncError: 'bad' })];
    const back = JSON.parse(historyToJson(rows));
    expect(back.count).toBe(2);
    expect(back.items).toEqual(rows);
    expect(exportFileName('json', new Date('2026-11-30T10:00:00Z'))).toBe('sentiment-history-2026-11-30.json');
  });
});
