import { describe, expect, it } from 'vitest';
import { datasetFromRows } from './data.ts';
import { computeMetrics } from './metrics.ts';
import { createScratch, forwardOne, predictProbs } from './model.ts';
import { createRng } from './rng.ts';
import { createTokenizer, encodeTexts } from './tokenizer.ts';
import { trainModel, type Encoder } from './train.ts';

/**
 * A task only word order can solve: "F alpha F omega F" is positive and "F omega F alpha F" negative (F: a
 * random filler). Both orders hold the same words; the test texts use fillers never seen in training, so no
 * trained bigram (not even one with [CLS] or [SEP]) helps.
 */
function orderTask(n: number, fillers: readonly string[], seed: number): [string, string][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const f = () => fillers[Math.floor(rng() * fillers.length)]!;
    return i % 2 ? [`${f()} alpha ${f()} omega ${f()}`, 'positive'] : [`${f()} omega ${f()} alpha ${f()}`, 'negative'];
  });
}

const TRAIN_FILLERS = Array.from({ length: 60 }, (_, i) => `seen${i}`);
const TEST_FILLERS = Array.from({ length: 60 }, (_, i) => `unseen${i}`);

function train(encoder: Encoder) {
  const labels = ['negative', 'positive'];
  const trainSet = datasetFromRows('order', orderTask(600, TRAIN_FILLERS, 1), labels);
  const test = datasetFromRows('order test', orderTask(200, TEST_FILLERS, 2), labels);
  const model = trainModel({
    train: trainSet,
    validation: trainSet,
    encoder,
    epochs: 6,
    dim: 4,
    buckets: 1 << 10,
    lr: 0.1,
    convFilters: 4,
    convDim: 4,
    convLr: 1,
    keep: 'last',
  });
  const tok = createTokenizer(model.tokenizerJson, model.tokenizerConfig);
  return { model, accuracy: computeMetrics(test.labelIds, predictProbs(model.weights, encodeTexts(tok, test.texts)), labels).accuracy };
}

describe('cnn encoder', () => {
  it('learns word order that the pooled bag cannot see (unseen fillers between the two words)', () => {
    const pooled = train('pooled');
    const cnn = train('cnn');
    expect(pooled.accuracy).toBeLessThan(0.65);
    expect(cnn.accuracy).toBeGreaterThan(0.95);
    expect(cnn.model.weights.shape.conv).toEqual({ width: 3, filters: 4, dim: 4 });
    expect(pooled.model.weights.convW).toHaveLength(0);
  });

  it('keeps the [PAD] row at zero, so padded batches read like single texts', () => {
    const { model } = train('cnn');
    const C = model.weights.shape.conv!.dim;
    expect(Array.from(model.weights.convTable.subarray(0, C))).toEqual(new Array(C).fill(0));
    // The filters look at different windows.
    const tok = createTokenizer(model.tokenizerJson, model.tokenizerConfig);
    const [ids] = encodeTexts(tok, ['unseen1 alpha unseen2 omega unseen3']);
    const s = createScratch(model.weights.shape, 8);
    forwardOne(model.weights, ids!, s);
    expect(new Set(s.conv.argmax).size).toBeGreaterThan(1);
  });

  it('refuses a hidden layer (the filters join the features before the output layer)', () => {
    const ds = datasetFromRows('x', [['good', 'positive'], ['bad', 'negative']], ['negative', 'positive']);
    expect(() => trainModel({ train: ds, validation: ds, encoder: 'cnn', hidden: 4, epochs: 1 })).toThrow(/hidden 0/);
  });
});
