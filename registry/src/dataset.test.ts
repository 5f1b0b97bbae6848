import { describe, expect, it } from 'vitest';
import { DatasetError, mapLabels, parseLabelledDelimited } from './dataset.ts';

describe('parseLabelledDelimited', () => {
  it('reads quoted fields, a BOM, CRLF and skips blank rows, with the line of each row', () => {
    const rows = parseLabelledDelimited('\uFEFFlabel,text\r\npositive,"good, ""very"" good"\r\n\r\nnegative ,"two\nlines"\r\n');
    expect(rows).toEqual([
      { text: 'good, "very" good', label: 'positive', line: 2 },
      { text: 'two\nlines', label: 'negative', line: 5 },
    ]);
  });

  it('reads TSV without quoting', () => {
    expect(parseLabelledDelimited('text\tlabel\nsay "hi\tpositive\n', { delimiter: '\t' })).toEqual([{ text: 'say "hi', label: 'positive', line: 2 }]);
  });

  it('names the missing column, a broken quote and an empty file', () => {
    expect(() => parseLabelledDelimited('body,label\nx,positive\n', { source: 'f.csv' })).toThrow('f.csv: text column "text" not found; available columns: "body", "label"');
    expect(() => parseLabelledDelimited('text,label\n"x,positive\n', { source: 'f.csv' })).toThrow(/f.csv: not valid CSV/);
    expect(() => parseLabelledDelimited('', { source: 'f.csv' })).toThrow('f.csv: file is empty (no header row)');
  });
});

describe('mapLabels', () => {
  const rows = parseLabelledDelimited('text,label\na,positive\nb,negative\nc,positive\n');
  it('maps to a fixed label set, or to the sorted distinct labels', () => {
    expect(mapLabels(rows, ['positive', 'negative'])).toEqual({ labelSet: ['positive', 'negative'], labelIds: Int32Array.from([0, 1, 0]) });
    expect(mapLabels(rows, undefined).labelSet).toEqual(['negative', 'positive']);
  });
  it('refuses a label outside the set, an empty label and no rows, naming the line', () => {
    const e = (() => {
      try {
        mapLabels(rows, ['positive']);
      } catch (err) {
        return err as DatasetError;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(DatasetError);
    expect(e!.message).toBe('data: line 3: unknown label "negative" (expected one of: positive)');
    expect(e!.line).toBe(3);
    expect(() => mapLabels(parseLabelledDelimited('text,label\na,\n'), undefined)).toThrow('line 2: empty label');
    expect(() => mapLabels([], undefined, 'x.csv')).toThrow('x.csv: no data rows');
  });
});
