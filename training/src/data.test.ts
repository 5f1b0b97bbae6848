import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatDatasets, loadDataset, sha256File, stratifiedSplit } from './data.ts';

const dir = mkdtempSync(join(tmpdir(), 'data-test-'));
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('loadDataset', () => {
  it('reads CSV with a BOM, quoted fields (commas, quotes, newlines) and empty rows', () => {
    const p = file(
      'a.csv',
      '\uFEFFtext,label\n"hello, world",positive\n\n"she said ""no""",negative\n"two\nlines",positive\n,\n',
    );
    const ds = loadDataset(p);
    expect(ds.texts).toEqual(['hello, world', 'she said "no"', 'two\nlines']);
    expect(ds.labels).toEqual(['positive', 'negative', 'positive']);
    expect(ds.labelSet).toEqual(['negative', 'positive']);
    expect(Array.from(ds.labelIds)).toEqual([1, 0, 1]);
    expect(ds.sha256).toBe(sha256File(p));
    expect(ds.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ds.name).toBe('a.csv');
  });

  it('reports an unknown label with its line number when the label set is fixed', () => {
    const p = file('b.csv', 'text,label\ngood,positive\n\nbad,negative\nmeh,neutral\n');
    expect(() => loadDataset(p, { labels: ['negative', 'positive'] })).toThrow(/line 5: unknown label "neutral"/);
  });

  it('says what to pass when the file does not exist', () => {
    expect(() => loadDataset(file('x.csv', '').replace(/x\.csv$/, 'missing.csv'))).toThrow(/missing\.csv does not exist: pass a CSV, TSV or JSONL file/);
  });

  it('names the available columns when a column is missing', () => {
    const p = file('c.csv', 'sentence,sentiment\ngood,positive\n');
    expect(() => loadDataset(p)).toThrow(/text column "text" not found; available columns: "sentence", "sentiment"/);
    const ds = loadDataset(p, { textColumn: 'sentence', labelColumn: 'sentiment' });
    expect(ds.texts).toEqual(['good']);
  });

  it('reads TSV (quotes are literal) and JSONL', () => {
    const tsv = loadDataset(file('d.tsv', 'label\ttext\npositive\tit\'s "great", really\nnegative\tawful\n'));
    expect(tsv.texts).toEqual(['it\'s "great", really', 'awful']);
    const jsonl = loadDataset(file('e.jsonl', '{"review":"nice","stars":"positive"}\n\n{"review":"bad","stars":"negative"}\n'), {
      textColumn: 'review',
      labelColumn: 'stars',
    });
    expect(jsonl.texts).toEqual(['nice', 'bad']);
    expect(jsonl.labelSet).toEqual(['negative', 'positive']);
    expect(() => loadDataset(file('f.jsonl', '{"text":"a","label":"x"}\nnot json\n'))).toThrow(/line 2: invalid JSON/);
    expect(() => loadDataset(file('g.jsonl', '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n'), { labels: ['x'] })).toThrow(/line 2: unknown label "y"/);
  });

  it('rejects empty labels with the line number', () => {
    expect(() => loadDataset(file('h.csv', 'text,label\na,positive\nb,\n'))).toThrow(/line 3: empty label/);
  });
});

describe('stratifiedSplit', () => {
  const rows = Array.from({ length: 200 }, (_, i) => `t${i},${i % 4 === 0 ? 'negative' : 'positive'}`);
  const ds = loadDataset(file('s.csv', `text,label\n${rows.join('\n')}\n`));

  it('splits 70/15/15 per class, deterministically for a seed', () => {
    const a = stratifiedSplit(ds, 7);
    const b = stratifiedSplit(ds, 7);
    const c = stratifiedSplit(ds, 8);
    expect(a.train.texts.length + a.validation.texts.length + a.test.texts.length).toBe(200);
    expect(a.train.texts.length).toBe(140);
    expect(a.validation.labels.filter((l) => l === 'negative').length).toBe(Math.round(50 * 0.15));
    expect(a.validation.texts).toEqual(b.validation.texts);
    expect(a.validation.texts).not.toEqual(c.validation.texts);
    const all = new Set([...a.train.texts, ...a.validation.texts, ...a.test.texts]);
    expect(all.size).toBe(200);
  });
});

describe('concatDatasets', () => {
  it('concatenates rows, unions labels and names/hashes the combination independently of order', () => {
    const a = loadDataset(file('ca.csv', 'text,label\ngood,positive\nbad,negative\n'));
    const b = loadDataset(file('cb.csv', 'text,label\nmeh,neutral\n'));
    const ab = concatDatasets([a, b]);
    expect(ab.name).toBe('ca.csv+cb.csv');
    expect(ab.texts).toEqual(['good', 'bad', 'meh']);
    expect(ab.labelSet).toEqual(['negative', 'neutral', 'positive']);
    expect(Array.from(ab.labelIds)).toEqual([2, 0, 1]);
    expect(ab.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ab.sha256).not.toBe(a.sha256);
    expect(concatDatasets([b, a]).sha256).toBe(ab.sha256);
    expect(concatDatasets([a])).toBe(a);
    expect(() => concatDatasets([a, b], ['negative', 'positive'])).toThrow(/unknown label "neutral"/);
  });
});
