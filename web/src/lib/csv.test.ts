import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { augmentCsv, emptyRows, guessTextColumn, inspectCsv, labelSummary, linesToTable, listRows, parseCsv, predictionColumns, type RowResult } from './csv.ts';

const pred = (label: string, pos: number) => ({ label, score: Math.max(pos, 1 - pos), probabilities: { negative: 1 - pos, positive: pos } });
const ok = (prediction: ReturnType<typeof pred>, note = ''): RowResult => ({ prediction, note });

describe('csv', () => {
  it('parses a header CSV with quotes, commas, newlines and a BOM', () => {
    const t = parseCsv('\uFEFFid,review\n1,"great, really"\n2,"bad\nvery bad"\n\n');
    expect(t.fields).toEqual(['id', 'review']);
    expect(t.rows).toEqual([
      { id: '1', review: 'great, really' },
      { id: '2', review: 'bad\nvery bad' },
    ]);
    expect(guessTextColumn(t)).toBe('review');
  });

  it('guesses the longest column when no name is known', () => {
    expect(guessTextColumn({ fields: ['n', 'words'], rows: [{ n: '1', words: 'a long sentence here' }] })).toBe('words');
  });

  it('rejects an empty file, a file without column names and one with no rows, saying which', () => {
    expect(() => parseCsv('')).toThrow('the file is empty');
    expect(() => parseCsv('\uFEFF \n\n')).toThrow('the file is empty');
    expect(() => parseCsv('id,text\n')).toThrow(/no rows/);
  });

  it('warns about a quote that is never closed (the following lines merge into one value)', () => {
    const r = inspectCsv('id,review\n1,"great\n2,bad\n3,ok\n4,fine\n');
    expect(r.table.rows).toHaveLength(1);
    expect(r.warnings.map((w) => w.kind)).toEqual(['unclosed-quote']);
    expect(r.warnings[0]!.message).toMatch(/opened on line 2 of the file and never closed/);
    expect(inspectCsv('id,review\n1,"great, ""really"""\n').warnings).toEqual([]);
  });

  it('warns about rows with more or fewer values than columns', () => {
    const r = inspectCsv('id,review\n1,great,extra\n2\n3,fine\n');
    expect(r.warnings).toEqual([
      {
        kind: 'field-count',
        message: 'Rows 1 and 2 have more or fewer values than there are columns: a missing value is read as empty, and values beyond the last column are left out of the classification and the download.',
      },
    ]);
    expect(inspectCsv('id,review\n1,a\n2,b,c\n').warnings[0]!.message).toMatch(/^Row 2 has more or fewer values/);
    expect(listRows([3, 9, 12])).toBe('3, 9 and 12');
    expect(listRows([1, 2, 3, 4, 5, 6, 7])).toBe('1, 2, 3, 4, 5 and 2 more');
  });

  it('notices a first line that looks like data and reads it as a row when asked', () => {
    const csv = 'this film was a delight from start to end,5\nboring and far too long,1\n';
    const r = inspectCsv(csv);
    expect(r.warnings.map((w) => w.kind)).toEqual(['no-header']);
    expect(r.table.rows).toHaveLength(1);
    const whole = inspectCsv(csv, { firstLineIsData: true });
    expect(whole.warnings).toEqual([]);
    expect(whole.table.fields).toEqual(['column_1', 'column_2']);
    expect(whole.table.rows).toEqual([
      { column_1: 'this film was a delight from start to end', column_2: '5' },
      { column_1: 'boring and far too long', column_2: '1' },
    ]);
    expect(guessTextColumn(whole.table)).toBe('column_1');
    // Ordinary column names are not flagged.
    expect(inspectCsv('id,review text,stars\n1,good,5\n').warnings).toEqual([]);
    expect(inspectCsv('2024,good\n2025,bad\n').warnings.map((w) => w.kind)).toEqual(['no-header']);
  });

  it('turns pasted lines into rows', () => {
    expect(linesToTable('one\n\n  two \r\n').rows).toEqual([{ text: 'one' }, { text: 'two' }]);
  });

  it('appends prediction columns, keeps every input row and column, never clobbers', () => {
    const t = parseCsv('text,predicted_label\nnice,x\nawful,y\n');
    const out = augmentCsv(t, [ok(pred('positive', 0.9)), ok(pred('negative', 0.2), 'unsure')], ['negative', 'positive']);
    const back = Papa.parse<Record<string, string>>(out, { header: true, skipEmptyLines: true });
    expect(back.meta.fields).toEqual(['text', 'predicted_label', 'predicted_label_2', 'confidence', 'p_negative', 'p_positive', 'note']);
    expect(back.data).toHaveLength(2);
    expect(back.data[0]).toMatchObject({ text: 'nice', predicted_label: 'x', predicted_label_2: 'positive', confidence: '0.9000', p_positive: '0.9000' });
    expect(back.data[1]).toMatchObject({ predicted_label_2: 'negative', p_negative: '0.8000', note: 'unsure' });
    expect(() => augmentCsv(t, [], ['negative', 'positive'])).toThrow(/0 predictions for 2 rows/);
    expect(predictionColumns(['confidence'], ['a']).score).toBe('confidence_2');
  });

  it('leaves empty rows unclassified and says so in the note column; defuses formulas like the history export', () => {
    const t = parseCsv('id,text\n1,"=HYPERLINK(""http://x"")"\n2, \n3,fine\n');
    expect(emptyRows(t.rows.map((r) => r.text!))).toEqual([1]);
    const out = augmentCsv(t, [ok(pred('positive', 0.9)), null, ok(pred('positive', 0.8))], ['negative', 'positive']);
    const back = Papa.parse<Record<string, string>>(out, { header: true, skipEmptyLines: true });
    expect(back.data[0]!.text!.startsWith("'=")).toBe(true);
    expect(back.data[1]).toMatchObject({ predicted_label: '', confidence: '', p_positive: '', note: 'empty: skipped' });
    expect(back.data[2]).toMatchObject({ predicted_label: 'positive', note: '' });
  });

  it('summarises labels', () => {
    expect(labelSummary([pred('positive', 0.9), pred('positive', 0.8), pred('negative', 0.1)], ['negative', 'positive'])).toEqual([
      { label: 'negative', count: 1, share: 1 / 3 },
      { label: 'positive', count: 2, share: 2 / 3 },
    ]);
  });

  it('round-trips 10k rows quickly', () => {
    const csv = 'text\n' + Array.from({ length: 10_000 }, (_, i) => `"row ${i}, fine"`).join('\n');
    const t0 = performance.now();
    const t = parseCsv(csv);
    const out = augmentCsv(t, t.rows.map(() => ok(pred('positive', 0.7))), ['negative', 'positive']);
    expect(out.split('\n')).toHaveLength(10_001);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
