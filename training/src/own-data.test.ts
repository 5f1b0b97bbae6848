import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFromRows, loadDataset } from './data.ts';
import { checkOwnData, dropCoveredRows, MIN_ROWS_PER_LABEL, splitForSelection, trainingLanguageReport } from './own-data.ts';

const rows = (n: number, label: string, text = 'a fine text number') => Array.from({ length: n }, (_, i) => [`${text} ${i}`, label] as [string, string]);

describe('own data checks', () => {
  it('refuses a single label and too few rows to validate, saying how many are needed', () => {
    expect(() => checkOwnData(datasetFromRows('one.csv', rows(30, 'positive'), ['positive']), undefined)).toThrow(/every row has the label "positive": a classifier needs at least two labels/);
    const few = datasetFromRows('few.csv', [...rows(30, 'positive'), ...rows(6, 'negative')], ['negative', 'positive']);
    expect(() => checkOwnData(few, undefined)).toThrow(new RegExp(`"negative" has 6; each label needs at least ${MIN_ROWS_PER_LABEL} rows .*--validation`));
    // with a separate validation file no split is needed: a warning only below 5 rows
    expect(checkOwnData(few, few)).toEqual([]);
    const tiny = datasetFromRows('tiny.csv', [...rows(30, 'positive'), ...rows(3, 'negative')], ['negative', 'positive']);
    expect(checkOwnData(tiny, tiny)).toEqual(['label "negative" has only 3 rows (fewer than 5): the model will hardly learn it']);
  });

  it('names the line that is not UTF-8, and skips and counts empty texts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'own-data-'));
    const latin1 = join(dir, 'latin1.csv');
    writeFileSync(latin1, Buffer.concat([Buffer.from('text,label\ngood,positive\n'), Buffer.from('tr\xe8s mauvais,negative\n', 'latin1')]));
    expect(() => loadDataset(latin1)).toThrow(/line 3 is not UTF-8 text .* save the file as UTF-8/);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'text,label\ngood,positive\n"  ",negative\n,negative\nbad,negative\n');
    const ds = loadDataset(empty);
    expect(ds.texts).toEqual(['good', 'bad']);
    expect(ds.emptySkipped).toBe(2);
    const big = datasetFromRows('big.csv', [...rows(20, 'positive'), ...rows(20, 'negative')], ['negative', 'positive']);
    expect(checkOwnData({ ...big, emptySkipped: 2 }, undefined)).toEqual(['2 rows with an empty text skipped']);
  });

  it('splits 85/15 per label with a seed, every row used once', () => {
    const ds = datasetFromRows('d.csv', [...rows(100, 'positive'), ...rows(40, 'negative')], ['negative', 'positive']);
    const a = splitForSelection(ds, 1);
    expect(a.validation.labels.filter((l) => l === 'positive')).toHaveLength(15);
    expect(a.validation.labels.filter((l) => l === 'negative')).toHaveLength(6);
    expect(a.train.texts.length + a.validation.texts.length).toBe(140);
    expect(splitForSelection(ds, 1).validation.texts).toEqual(a.validation.texts);
    expect(splitForSelection(ds, 2).validation.texts).not.toEqual(a.validation.texts);
  });

  it('reports the languages of the rows, mixed languages included', () => {
    const en = Array.from({ length: 10 }, (_, i) => `This movie was really wonderful and I loved it, part ${i}`);
    const fr = Array.from({ length: 10 }, (_, i) => `Ce film était vraiment magnifique et je l'ai adoré, partie ${i}`);
    expect(trainingLanguageReport(en).languages).toEqual(['en']);
    const mixed = trainingLanguageReport([...en, ...fr, 'ok']);
    expect(mixed.languages.sort()).toEqual(['en', 'fr']);
    expect(mixed.line).toMatch(/^languages: mixed languages: (English \+ French|French \+ English) \(.*20 of 21 sampled rows judged/);
  });

  it('leaves validation rows covered by training rows (duplicates, sub-phrases) out of the scoring', () => {
    const labels = ['negative', 'positive'];
    const train = datasetFromRows('t.csv', [['a truly wonderful and moving film about love', 'positive'], ['a dull , lifeless and boring mess', 'negative']], labels);
    const validation = datasetFromRows('v.csv', [
      ['wonderful and moving film', 'positive'], // every 4-gram in training: a sub-phrase
      ['boring mess', 'negative'], // shorter than 4 words: covered only as a whole training text — it is not one
      ['a dull , lifeless and boring mess', 'negative'], // a duplicate
      ['a wonderful story told with care', 'positive'],
      ['the plot is thin and the acting flat', 'negative'],
      ['great fun for the whole family', 'positive'],
    ], labels);
    const r = dropCoveredRows(train, validation);
    expect(r.dropped).toBe(2);
    expect(r.validation.texts).toEqual(['boring mess', 'a wonderful story told with care', 'the plot is thin and the acting flat', 'great fun for the whole family']);
    expect(r.validation.name).toBe('v.csv');
    // too few rows of a label would remain: the validation rows are kept as they are
    const thin = datasetFromRows('v.csv', [['wonderful and moving film', 'positive'], ['a wonderful story told with care', 'positive'], ['boring mess', 'negative'], ['flat acting all the way', 'negative']], labels);
    expect(dropCoveredRows(train, thin)).toMatchObject({ dropped: 0, validation: thin });
  });
});
