import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../data.ts';
import { computeMetrics } from '../metrics.ts';
import { predictLogits } from '../model.ts';
import { dataFile } from '../paths.ts';
import { loadPredictor } from '../predictor.ts';
import { buildTinyModel } from '../../test/tiny.ts';
import { createTokenizer, DEFAULT_MAX_LENGTH, encodeTexts } from '../tokenizer.ts';
import type { TrainedModel } from '../train.ts';
import { buildGraph } from './graph.ts';
import { exportModel, loadWarmStart } from './model-dir.ts';
import { trainModel } from '../train.ts';

const validation = loadDataset(dataFile('sst2/validation.csv'));
const texts100 = [
  ...validation.texts.slice(0, 90),
  "It's NOT good.",
  "doesn't work, don't buy",
  '',
  'zzzz qqqq unknownword',
  'Café déjà vu! 😀 @user http://x.co',
  'good '.repeat(300),
  'a',
  'the the the',
  'Not bad at all',
  'I loved it',
  "not , not good but not bad . it isn't the worst and never fails to amuse",
  'no',
  'not good',
];

describe.each([
  ['plain', { attention: false, hidden: 0, negationScope: 0, calibrate: false }],
  ['attention + hidden layer', { attention: true, hidden: 8 }],
  ['attention + negation scope', { attention: true, hidden: 0, negationScope: 3 }],
  ['attention + negation scope + contrast', { attention: true, hidden: 0, negationScope: 3, contrastWindow: 6 }],
  ['attention + negation scope + contrast + intensity', { attention: true, hidden: 0, negationScope: 3, contrastWindow: 6, intensityWindow: 2 }],
  ['cnn encoder (attention + negation scope + 8 filters of width 3)', { attention: true, hidden: 0, negationScope: 3, encoder: 'cnn' as const, convFilters: 8, convDim: 6 }],
  ['negation scope 6 (positions: CumSum / NonZero / Gather)', { attention: true, hidden: 0, negationScope: 6, contrastWindow: 6 }],
  ['negation scope to the clause break (1000) + cnn', { attention: true, hidden: 0, negationScope: 1000, encoder: 'cnn' as const, convFilters: 5, convDim: 4 }],
  ['cnn encoder (width 2: padding after the last token only)', { attention: true, hidden: 0, encoder: 'cnn' as const, convFilters: 5, convWidth: 2, convDim: 4 }],
])('ONNX export (%s)', (_name, arch) => {
  let dir: string;
  let model: TrainedModel;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'export-test-'));
    model = buildTinyModel(dir, { rows: 3000, seed: 2, ...arch }).model;
  });

  it('gives every initializer and node output a unique name (onnxruntime warns on duplicates)', () => {
    for (const q of ['none', 'per-column'] as const) {
      const g = buildGraph(model.weights, q);
      const names = [...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs)];
      expect(new Set(names).size, q).toBe(names.length);
    }
  });

  it('writes the Hugging Face layout', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'metrics.json', 'README.md', 'training-meta.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('bert');
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.label2id).toEqual({ negative: 0, positive: 1 });
    expect(config.num_labels).toBe(2);
    // Calibrated models (all but 'plain') carry a fitted temperature, which the graph applies (next test).
    expect(config.sentiment_edge.temperature).toBe(model.weights.temperature);
    expect(model.weights.temperature !== 1).toBe(model.params.calibrate);
    const meta = JSON.parse(readFileSync(join(dir, 'training-meta.json'), 'utf8'));
    expect(meta.datasetSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.seed).toBe(2);
    expect(meta.parent).toBeNull();
    expect(meta.durationMs).toBeGreaterThan(0);
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({ pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', model_max_length: DEFAULT_MAX_LENGTH });
  });

  it('fp32 ONNX logits match the trainer forward pass within 1e-4 (100 texts, padded batches)', async () => {
    const tok = createTokenizer(model.tokenizerJson, model.tokenizerConfig);
    const own = predictLogits(model.weights, encodeTexts(tok, texts100));
    const p = await loadPredictor(dir, { batchSize: 17 });
    const onnx = await p.logits(texts100);
    await p.close();
    let maxDiff = 0;
    onnx.forEach((row, i) => row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - own[i]![j]!)))));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('token_scores (linear models only): per-token contributions that sum with b2/T to the logits, fp32 and int8', async () => {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    for (const dtype of ['fp32', 'q8'] as const) {
      const p = await loadPredictor(dir, { dtype, batchSize: 7 });
      const linear = model.weights.shape.hidden === 0 && !model.weights.shape.conv;
      expect(p.explains).toBe(linear);
      expect(config.sentiment_edge.outputs).toEqual(linear ? ['logits', 'token_scores'] : ['logits']);
      if (!p.explains) {
        await expect(p.explain(['good'])).rejects.toThrow(/token_scores/);
        await p.close();
        continue;
      }
      const sample = texts100.slice(85);
      const logits = await p.logits(sample);
      const explained = await p.explain(sample);
      const inv = 1 / model.weights.temperature;
      explained.forEach((e, i) => {
        expect(e.tokens.map((t) => t.id)).toEqual(p.encode(sample[i]!));
        model.labels.forEach((l, c) => {
          const sum = e.tokens.reduce((a, t) => a + t.scores[l]!, 0) + model.weights.b2[c]! * inv;
          expect(Math.abs(sum - logits[i]![c]!)).toBeLessThan(1e-4);
        });
        expect(e.prediction.label).toBe(model.labels[logits[i]![0]! > logits[i]![1]! ? 0 : 1]);
      });
      // The words that carry sentiment carry the scores: in "I loved it", "loved" pushes positive hardest.
      const loved = explained.find((e) => e.tokens.some((t) => t.token === 'loved'))!;
      const push = (t: { scores: Record<string, number> }) => t.scores.positive! - t.scores.negative!;
      expect(loved.tokens.reduce((best, t) => (push(t) > push(best) ? t : best)).token).toBe('loved');
      await p.close();
    }
  });

  it('reads a 3000-character text in full: its last words still move the answer', async () => {
    const filler = 'the film runs for two hours and the cast includes several actors . '.repeat(44);
    expect(filler.length).toBeGreaterThan(2900);
    const p = await loadPredictor(dir);
    const tail = (end: string) => `${filler} ${end}`;
    expect(p.encode(tail('x')).length).toBeGreaterThan(500);
    const [good, bad] = await p.probabilities([tail('wonderful , wonderful , great'), tail('awful , awful , terrible')]);
    const pos = model.labels.indexOf('positive');
    expect(good![pos]!).toBeGreaterThan(bad![pos]! + 0.01);
    await p.close();
  });

  it('int8 accuracy is within 0.5 point of fp32 on sst2/validation', async () => {
    const acc = async (dtype: 'fp32' | 'q8') => {
      const p = await loadPredictor(dir, { dtype });
      const m = computeMetrics(validation.labelIds, await p.probabilities(validation.texts), p.labels);
      await p.close();
      return m.accuracy;
    };
    const fp32 = await acc('fp32');
    const q8 = await acc('q8');
    expect(fp32).toBeGreaterThan(0.7);
    expect(Math.abs(fp32 - q8)).toBeLessThanOrEqual(0.005);
  });

  it('reads the weights back for a warm start, and warm-started training keeps vocab and labels', () => {
    const warm = loadWarmStart(dir);
    expect(warm.labels).toEqual(model.labels);
    expect(warm.weights.shape).toEqual(model.weights.shape);
    expect(Buffer.from(warm.weights.embedding.buffer).equals(Buffer.from(model.weights.embedding.buffer))).toBe(true);
    expect(Array.from(warm.weights.importance)).toEqual(Array.from(model.weights.importance));
    expect(Array.from(warm.weights.contrast)).toEqual(Array.from(model.weights.contrast));
    expect(Array.from(warm.weights.intensity)).toEqual(Array.from(model.weights.intensity));
    for (const k of ['convTable', 'convW', 'convB'] as const) expect(Array.from(warm.weights[k]), k).toEqual(Array.from(model.weights[k]));
    const small = { ...validation, texts: validation.texts.slice(0, 200), labels: validation.labels.slice(0, 200), labelIds: validation.labelIds.slice(0, 200) };
    const next = trainModel({ train: small, validation: small, warmStart: warm, epochs: 1, lr: 0.01 });
    expect(next.vocab).toEqual(model.vocab);
    expect(next.weights.shape).toEqual(model.weights.shape);
    expect(next.warmStartSource).toBe(dir);
    expect(next.validation.accuracy).toBeGreaterThan(0.6);
  });
});

describe.each([
  {
    mechanism: 'contrast',
    arch: { contrastWindow: 4 },
    texts: ['the plot was thin , but the acting was wonderful', 'great food but the service was awful', 'but', 'it was bad . however , i loved it yet hated it', 'no contrast here at all'],
    set: (m: TrainedModel, v: number): void => {
      m.weights.contrast[0] = v;
    },
  },
  {
    mechanism: 'intensity (intensifier)',
    arch: { intensityWindow: 2 },
    texts: ['the acting was very good', 'really really bad , so boring', 'very', 'it was slightly good and extremely long', 'no qualifier here at all'],
    set: (m: TrainedModel, v: number): void => {
      m.weights.intensity[0] = v;
    },
  },
  {
    mechanism: 'intensity (reducer)',
    arch: { intensityWindow: 2 },
    texts: ['the acting was somewhat good', 'slightly bad , a bit boring', 'slightly', 'it was slightly good and extremely long', 'no qualifier here at all'],
    set: (m: TrainedModel, v: number): void => {
      m.weights.intensity[1] = v;
    },
  },
])('$mechanism in the graph', ({ arch, texts, set }) => {
  it('shifts the attention of the marked tokens exactly as the trainer does, whatever the learned shift', async () => {
    const model = buildTinyModel(mkdtempSync(join(tmpdir(), 'shift-')), { rows: 1500, seed: 3, attention: true, ...arch }).model;
    const tok = createTokenizer(model.tokenizerJson, model.tokenizerConfig);
    const logitsWith = async (shift: number) => {
      set(model, shift);
      const dir = mkdtempSync(join(tmpdir(), 'shift-'));
      exportModel(model, dir, { modelName: 'attention shift test' });
      const p = await loadPredictor(dir, { batchSize: 3 });
      const onnx = await p.logits(texts);
      await p.close();
      const own = predictLogits(model.weights, encodeTexts(tok, texts));
      onnx.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - own[i]![j]!)).toBeLessThan(1e-4)));
      return onnx;
    };
    const strong = await logitsWith(-3);
    const none = await logitsWith(0);
    // The shift changes the texts with a marker and leaves the one without alone.
    expect(Math.abs(strong[0]![1]! - none[0]![1]!)).toBeGreaterThan(1e-3);
    expect(strong[4]).toEqual(none[4]);
  });
});
