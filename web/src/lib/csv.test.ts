import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { augmentCsv, guessTextColumn, labelSummary, linesToTable, parseCsv, predictionColumns } from './csv.ts';

const pred = (label: string, pos: number) => ({ label, score: Math.max(pos, 1 - pos), probabilities: { negative: 1 - pos, positive: pos } });

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

  it('rejects a file without a header', () => {
    expect(() => parseCsv('')).toThrow(/header/);
  });

  it('turns pasted lines into rows', () => {
    expect(linesToTable('one\n\n  two \r\n').rows).toEqual([{ text: 'one' }, { text: 'two' }]);
  });

  it('appends prediction columns, keeps every input row and column, never clobbers', () => {
    const t = parseCsv('text,predicted_label\nnice,x\nawful,y\n');
    const out = augmentCsv(t, [pred('positive', 0.9), pred('negative', 0.2)], ['negative', 'positive']);
    const back = Papa.parse<Record<string, string>>(out, { header: true, skipEmptyLines: true });
    expect(back.meta.fields).toEqual(['text', 'predicted_label', 'predicted_label_2', 'confidence', 'p_negative', 'p_positive']);
    expect(back.data).toHaveLength(2);
    expect(back.data[0]).toMatchObject({ text: 'nice', predicted_label: 'x', predicted_label_2: 'positive', confidence: '0.9000', p_positive: '0.9000' });
    expect(back.data[1]).toMatchObject({ predicted_label_2: 'negative', p_negative: '0.8000' });
    expect(() => augmentCsv(t, [], ['negative', 'positive'])).toThrow(/0 predictions for 2 rows/);
    expect(predictionColumns(['confidence'], ['a']).score).toBe('confidence_2');
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
    const out = augmentCsv(t, t.rows.map(() => pred('positive', 0.7)), ['negative', 'positive']);
    expect(out.split('\n')).toHaveLength(10_001);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
