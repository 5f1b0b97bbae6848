import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SOURCES, loadRecipeData, recipeSources, textHash, unknownTexts } from './recipe.ts';
import { writeTinyDataDir } from '../test/tiny.ts';

describe('loadRecipeData (the default recipe’s training data)', () => {
  const dir = writeTinyDataDir();

  it('reads every training source into one 3-class set, holding out hashed rows of all but SST-2', () => {
    const d = loadRecipeData(dir, { holdOutShare: 0.2, unknownRows: 0 });
    expect(d.train.labelSet).toEqual(['negative', 'neutral', 'positive']);
    expect(d.sources.map((s) => s.file)).toEqual(DEFAULT_SOURCES.map((s) => s.file));
    const sst2 = d.sources.find((s) => s.file === 'sst2/train.csv')!;
    expect(sst2.heldOut).toBe(0);
    expect(d.sources.filter((s) => s.file !== 'sst2/train.csv').every((s) => s.heldOut > 0)).toBe(true);
    const train = new Set(d.train.texts);
    expect(d.heldOut.texts.some((t) => train.has(t))).toBe(false);
    expect(d.heldOut.texts.every((t) => textHash(t) < 0.2)).toBe(true);
    expect(d.train.texts.length + d.heldOut.texts.length).toBe(d.sources.reduce((a, s) => a + s.train + s.heldOut, 0));
  });

  it('weights rows by source size^sourcePower and balances classes within a source (mean weight 1)', () => {
    const d = loadRecipeData(dir, { sourcePower: 0, classPower: 1, classPower3: 1 });
    const mean = d.rowWeights.reduce((a, b) => a + b, 0) / d.rowWeights.length;
    expect(mean).toBeCloseTo(1, 5);
    // sourcePower 0: every source carries the same total; classPower 1: every class of a source too.
    let offset = 0;
    const totals: number[] = [];
    for (const s of d.sources) {
      const byClass = new Map<string, number>();
      for (let i = offset; i < offset + s.train; i++) byClass.set(d.train.labels[i]!, (byClass.get(d.train.labels[i]!) ?? 0) + d.rowWeights[i]!);
      const values = [...byClass.values()];
      for (const v of values) expect(v).toBeCloseTo(values[0]!, 4);
      totals.push(values.reduce((a, b) => a + b, 0));
      offset += s.train;
    }
    for (const t of totals) expect(t).toBeCloseTo(totals[0]!, 3);
    // Rows of negative/positive-only sources are flagged for the polar loss.
    const yelp = d.sources.findIndex((s) => s.file === 'yelp/train.csv');
    const start = d.sources.slice(0, yelp).reduce((a, s) => a + s.train, 0);
    expect(d.polarRows[start]).toBe(1);
    const tweets = d.sources.findIndex((s) => s.file === 'tweeteval/test.csv');
    expect(d.polarRows[d.sources.slice(0, tweets).reduce((a, s) => a + s.train, 0)]).toBe(0);
  });

  it('adds extra sources (a feedback export) by absolute path, weighted and held out like the others', () => {
    const feedback = join(mkdtempSync(join(tmpdir(), 'feedback-')), 'feedback.csv');
    const rows = Array.from({ length: 60 }, (_, i) => `"correction number ${i}",${['negative', 'neutral', 'positive'][i % 3]}`);
    writeFileSync(feedback, ['text,label', ...rows].join('\n') + '\n');
    const d = loadRecipeData(dir, { holdOutShare: 0.2, unknownRows: 0 }, recipeSources([feedback]));
    const src = d.sources.at(-1)!;
    expect(src.file).toBe(feedback);
    expect(src.train + src.heldOut).toBe(60);
    expect(src.heldOut).toBeGreaterThan(0);
    expect(d.train.texts.some((t) => t.startsWith('correction number'))).toBe(true);
    expect(Object.keys(src.weight).sort()).toEqual(['negative', 'neutral', 'positive']);
    // A label the recipe does not have is refused, naming it.
    const bad = join(mkdtempSync(join(tmpdir(), 'feedback-')), 'bad.csv');
    writeFileSync(bad, 'text,label\ngreat,joy\n');
    expect(() => loadRecipeData(dir, {}, recipeSources([bad]))).toThrow(/joy/);
  });

  it('classPower 0 keeps the classes as they come', () => {
    const d = loadRecipeData(dir, { classPower: 0, classPower3: 0 });
    const yelp = d.sources.find((s) => s.file === 'yelp/train.csv')!;
    expect(yelp.weight.negative).toBeCloseTo(yelp.weight.positive!, 6);
  });

  it('adds made-up-word rows labelled neutral, weighted as a source of their size, none of them a known word', () => {
    const d = loadRecipeData(dir, { unknownRows: 50 });
    const src = d.sources.at(-1)!;
    expect(src).toMatchObject({ file: 'made-up words (neutral)', train: 50, heldOut: 0 });
    const rows = d.train.texts.slice(-50);
    expect(d.train.labels.slice(-50).every((l) => l === 'neutral')).toBe(true);
    expect(rows.every((t) => /^[b-df-hj-np-tv-xz]+([ ,]+[b-df-hj-np-tv-xz]+)*$/.test(t))).toBe(true);
    expect(unknownTexts(50)).toEqual(rows);
  });

  it('is a clear error when a source file is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'recipe-empty-'));
    expect(() => loadRecipeData(empty)).toThrow(/sst2\/train\.csv does not exist/);
  });
});
