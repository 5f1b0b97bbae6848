import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFromRows, type Dataset } from './data.ts';
import { exportModel } from './export/model-dir.ts';
import { trainLinear } from './linear.ts';
import { loadPredictor } from './predictor.ts';
import { MIN_GAIN, ownDataCandidates, selectRecipe, selectionMarkdown, sizedEpochs, type Candidate } from './selection.ts';
import type { TrainedModel } from './train.ts';

/** French-looking reviews: words that only this data can teach (no English prior knows them). */
function frenchRows(n: number, offset = 0): Dataset {
  const pos = ['génial', 'magnifique', 'superbe', 'émouvant', 'drôle'];
  const neg = ['nul', 'ennuyeux', 'raté', 'décevant', 'lourd'];
  const fill = ['le film', "l'acteur", 'la fin', "j'ai trouvé ce", 'vraiment'];
  const rows: [string, string][] = [];
  for (let i = offset; i < offset + n; i++) {
    const label = i % 2 === 0 ? 'positive' : 'negative';
    const w = (label === 'positive' ? pos : neg)[i % 5]!;
    rows.push([`${fill[(i >> 1) % 5]} est ${w}, ${fill[(i >> 2) % 5]} ${i % 7 === 0 ? 'bof' : ''}`, label]);
  }
  return datasetFromRows('fr.csv', rows, ['negative', 'positive']);
}

describe('recipe selection', () => {
  const train = frenchRows(160);
  const validation = frenchRows(40, 1000);

  it('the linear candidate learns in the embedding-bag graph, and the exported ONNX gives the trainer\'s probabilities', async () => {
    const m = trainLinear(train, validation, { C: 4, buckets: 4096 });
    expect(m.validation.macroF1).toBeGreaterThan(0.95);
    expect(m.weights.shape).toMatchObject({ dim: 2, hidden: 0, attention: false, poolPower: 0.5 });
    const dir = join(mkdtempSync(join(tmpdir(), 'linear-')), 'model');
    exportModel(m, dir);
    const p = await loadPredictor(dir);
    const texts = ['le film est génial', "l'acteur est nul", 'vraiment décevant'];
    const probs = await p.probabilities(texts);
    const { createTokenizer, encodeTexts } = await import('./tokenizer.ts');
    const { predictProbs } = await import('./model.ts');
    const ours = predictProbs(m.weights, encodeTexts(createTokenizer(m.tokenizerJson, m.tokenizerConfig), texts));
    probs.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(ours[i]![k]!, 4)));
    expect(probs[0]![1]!).toBeGreaterThan(0.5);
    expect(probs[1]![0]!).toBeGreaterThan(0.5);
    await p.close();
  });

  it('keeps the best validation macro-F1, prefers the earlier candidate within MIN_GAIN, stops starting candidates past the budget', () => {
    const fake = (name: string, f1: number, ms = 0): Candidate => ({
      name,
      description: name,
      train: (t) => {
        const until = performance.now() + ms;
        while (performance.now() < until);
        const m = trainLinear(t, validation, { buckets: 1024, maxIterations: 5 });
        return { ...m, validation: { ...m.validation, macroF1: f1 } } as TrainedModel;
      },
    });
    const lines: string[] = [];
    const s = selectRecipe([fake('a', 0.8), fake('b', 0.8 + MIN_GAIN / 2), fake('c', 0.85)], train, validation, { budgetSeconds: 60, log: (l) => lines.push(l) });
    expect(s.record.chosen).toBe('c');
    expect(s.record.candidates.map((c) => c.status)).toEqual(['trained', 'trained', 'trained']);
    expect(s.record.baseline.macroF1).toBeGreaterThan(0.9);
    expect(lines.some((l) => l.startsWith('baseline TF-IDF'))).toBe(true);
    const tie = selectRecipe([fake('a', 0.8), fake('b', 0.8 + MIN_GAIN / 2)], train, validation, { budgetSeconds: 60 });
    expect(tie.record.chosen).toBe('a');
    const cut = selectRecipe([fake('slow', 0.7, 300), fake('never', 0.99), { ...fake('floor', 0.705), always: true }], train, validation, { budgetSeconds: 0.2 });
    // 'floor' runs past the budget (always) but does not gain MIN_GAIN over 'slow'
    expect(cut.record.candidates[2]).toMatchObject({ name: 'floor', status: 'trained', macroF1: 0.705 });
    expect(cut.record.chosen).toBe('slow');
    expect(cut.record.candidates[1]).toMatchObject({ name: 'never', status: 'skipped: budget', macroF1: null });
    expect(selectionMarkdown(cut.record)).toMatch(/\| \*\*slow\*\* \(chosen\) \| 0\.7000 .*\n\| never \| – \| – \| 0\.0 s \| skipped: budget \|\n\| floor \| 0\.7050 .*\n\| linear baseline: TF-IDF/);
  });

  it('refits the chosen candidate on every row and keeps the validation figures of the search', () => {
    const all = frenchRows(200);
    const s = selectRecipe([ownDataCandidates({ rows: 160, english: false, seed: 1 })[0]!], train, validation, { budgetSeconds: 60, refitOn: all });
    expect(s.record.refitted).toBe(true);
    expect(s.model.datasetName).toBe('fr.csv');
    expect(s.model.validation.macroF1).toBe(s.record.candidates[0]!.macroF1);
  });

  it('offers English priors only for English rows, and sizes epochs to the data', () => {
    const names = (english: boolean) => ownDataCandidates({ rows: 2000, english, seed: 1 }).map((c) => c.name);
    expect(names(false)).toEqual(['linear C=4', 'preset, no priors', 'sized bag', 'linear C=16', 'linear C=1']);
    expect(ownDataCandidates({ rows: 2000, english: true, seed: 1 }).filter((c) => c.always).map((c) => c.name)).toEqual(['linear C=4']);
    expect(names(true)).toEqual(['preset', 'linear C=4', 'preset, no priors', 'sized bag', 'sized bag, priors', 'linear C=16', 'linear C=1']);
    expect(sizedEpochs(2000)).toBe(30);
    expect(sizedEpochs(20_000)).toBe(10);
    expect(sizedEpochs(100_000)).toBe(5);
  });
});
