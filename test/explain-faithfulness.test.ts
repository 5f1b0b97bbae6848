/**
 * Is "why this label" faithful? Occlusion (registry occlude, the code the browser runs) on a real model under
 * onnxruntime-node and real sentences: removing the words it ranks highest must move the answer more than
 * removing as many words chosen at random. Top-1 beats a random word by construction (occlusion ranks by that
 * very drop), so the check that can fail is the top 3 removed together, where words interact (negation scope).
 * MODEL_DIR=… runs it on another model directory (for example the default model from `pnpm train`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, occlude, withoutUnit, type TextUnit } from '@sentiment-edge/registry';
import { DATA_DIR, loadDataset, loadPredictor, type Predictor } from '@sentiment-edge/training';
import { sharedTinyModel } from './src/tiny-models.ts';

/** The text with several units taken out (from the last, so earlier positions stay valid). */
function withoutUnits(text: string, units: readonly TextUnit[]): string {
  return [...units].sort((a, b) => b.start - a.start).reduce(withoutUnit, text);
}

describe('occlusion is faithful on a real model', () => {
  let model: Predictor;

  beforeAll(async () => {
    model = await loadPredictor(process.env.MODEL_DIR ?? sharedTinyModel(7));
  });

  afterAll(async () => {
    await model?.close();
  });

  it('removing the top-ranked words moves the answer more than removing random words (SST-2 validation sentences)', async () => {
    const data = loadDataset(join(DATA_DIR, 'sst2/validation.csv'));
    const texts = data.texts.filter((t) => t.split(/\s+/).length >= 8).slice(0, 150);
    const rand = mulberry32(23); // seeded: the same random words on every run
    const drop = { top1: 0, random1: 0, top3: 0, random3: 0 };
    let flipsTop3 = 0;
    let flipsRandom3 = 0;
    let top1BelowRandom = 0;
    for (const text of texts) {
      const o = await occlude(model, text);
      const k = model.labels.indexOf(o.prediction.label);
      const ranked = [...o.units].sort((a, b) => b.effect - a.effect);
      const shuffled = [...o.units].sort(() => rand() - 0.5);
      const [top3p, rand3p] = await model.probabilities([withoutUnits(text, ranked.slice(0, 3)), withoutUnits(text, shuffled.slice(0, 3))]);
      drop.top1 += ranked[0]!.effect;
      drop.random1 += shuffled[0]!.effect;
      if (ranked[0]!.effect < shuffled[0]!.effect) top1BelowRandom++;
      drop.top3 += o.prediction.score - top3p![k]!;
      drop.random3 += o.prediction.score - rand3p![k]!;
      if (top3p!.indexOf(Math.max(...top3p!)) !== k) flipsTop3++;
      if (rand3p!.indexOf(Math.max(...rand3p!)) !== k) flipsRandom3++;
    }
    const n = texts.length;
    const mean = Object.fromEntries(Object.entries(drop).map(([key, v]) => [key, Number((v / n).toFixed(4))]));
    console.log(`[faithfulness] ${model.modelPath}: ${n} texts; mean drop in P(answer) top-1 ${mean.top1} vs random-1 ${mean.random1}; top-3 ${mean.top3} vs random-3 ${mean.random3}; answer flips top-3 ${flipsTop3}/${n} vs random-3 ${flipsRandom3}/${n}`);
    expect(top1BelowRandom).toBe(0);
    expect(mean.top1!).toBeGreaterThan(2 * mean.random1!);
    expect(mean.top3!).toBeGreaterThan(2 * mean.random3!);
    expect(flipsTop3).toBeGreaterThan(2 * flipsRandom3);
  });
});
