// ONNX Runtime (onnxruntime-web WASM) running inside workerd through the shim in ort.ts.
import { createClassifier, readModelConfig } from '@sentiment-edge/registry';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '../../test/helpers.ts';
import { createSession, ORT_VERSION, Tensor } from './ort.ts';

// The real tiny model exported by the training package, with onnxruntime-node's answers as reference.
const model = tinyModel();
const files = model.files;
const parse = (p: string) => JSON.parse(new TextDecoder().decode(files[p]!)) as Record<string, unknown>;

async function classifier(path: string) {
  const tj = parse('tokenizer.json');
  const tc = parse('tokenizer_config.json');
  const session = await createSession(files[path]!);
  return createClassifier(Tensor, session, new Tokenizer(tj, tc), readModelConfig(parse('config.json'), tc, tj));
}

const TEXTS = ['good movie', 'an awful, boring film!', 'The film was not good.', 'great fun', 'zzz unknown words only'] as const;

describe('onnxruntime-web inside workerd', () => {
  it('is the pinned version', () => {
    expect(ORT_VERSION).toBe('1.30.0');
  });

  it('runs fp32 and int8 graphs; probabilities sum to 1 and agree within int8 error', async () => {
    const [fp32, int8] = await Promise.all([classifier('onnx/model.onnx'), classifier('onnx/model_quantized.onnx')]);
    const [a, b] = await Promise.all([fp32.probabilities(TEXTS), int8.probabilities(TEXTS)]);
    expect(a).toHaveLength(TEXTS.length);
    for (let i = 0; i < TEXTS.length; i++) {
      expect(a[i]![0]! + a[i]![1]!).toBeCloseTo(1, 6);
      expect(Math.abs(a[i]![0]! - b[i]![0]!)).toBeLessThan(0.02);
    }
    // Different texts give different answers (the graph really reads the tokens).
    expect(new Set(a.map((p) => p[0]!.toFixed(6))).size).toBeGreaterThan(1);
  });

  it('reproduces onnxruntime-node (the training package) on the same exported files, fp32 and int8', async () => {
    const [fp32, int8] = await Promise.all([classifier('onnx/model.onnx'), classifier('onnx/model_quantized.onnx')]);
    const [a, b] = await Promise.all([fp32.probabilities(TEXTS), int8.probabilities(TEXTS)]);
    expect(model.labels).toEqual(['negative', 'positive']);
    // Both precisions match to float rounding (the Node reference runs with graphOptimizationLevel
    // 'basic', the kernels onnxruntime-web has).
    for (const [i, t] of TEXTS.entries()) {
      for (let j = 0; j < 2; j++) {
        expect(a[i]![j]).toBeCloseTo(model.expected(t, 'fp32')[j]!, 5);
        expect(b[i]![j]).toBeCloseTo(model.expected(t, 'int8')[j]!, 5);
      }
    }
  });

  it('gives the same answer batched (padded) as one at a time', async () => {
    const c = await classifier('onnx/model_quantized.onnx');
    const batched = await c.probabilities(TEXTS);
    for (let i = 0; i < TEXTS.length; i++) {
      const [single] = await c.probabilities([TEXTS[i]!]);
      expect(single![0]).toBeCloseTo(batched[i]![0]!, 6);
    }
  });

  it('serves 50 concurrent runs on one session with identical results', async () => {
    const c = await classifier('onnx/model_quantized.onnx');
    const runs = await Promise.all(Array.from({ length: 50 }, () => c.probabilities(['great fun', 'bad film'])));
    for (const [j, p] of runs[0]![1]!.entries()) expect(p).toBeCloseTo(model.expected('bad film')[j]!, 5);
    for (const r of runs) expect([...r[0]!, ...r[1]!]).toEqual([...runs[0]![0]!, ...runs[0]![1]!]);
  });
});
