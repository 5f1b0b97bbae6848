/**
 * Runs any Hugging Face–layout text-classification model directory (onnx/model.onnx or
 * onnx/model_quantized.onnx + tokenizer.json) with onnxruntime-node — independent of how it was trained.
 * Tokenize → pad → run → softmax is the registry's shared classifier, the same code the Worker and
 * the browser run, so Node, edge and browser cannot drift apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { createClassifier, readModelConfig, type Classifier, type Prediction } from '@sentiment-edge/registry';

export type { Prediction } from '@sentiment-edge/registry';

export interface PredictorOptions {
  /** 'fp32' → onnx/model.onnx, 'q8' → onnx/model_quantized.onnx. */
  dtype?: 'fp32' | 'q8';
  /** Texts per session run. */
  batchSize?: number;
}

export interface Predictor extends Omit<Classifier, 'classify'> {
  labels: string[];
  modelPath: string;
  maxLength: number;
  predict(texts: readonly string[]): Promise<Prediction[]>;
  close(): Promise<void>;
}

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}

export async function loadPredictor(dir: string, options: PredictorOptions = {}): Promise<Predictor> {
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} has no config.json: not a model directory in Hugging Face layout`);
  const tokenizerJson = readJson(join(dir, 'tokenizer.json')) as object;
  const tokenizerConfig = readJson(join(dir, 'tokenizer_config.json')) as object;
  const config = readModelConfig(readJson(join(dir, 'config.json')), tokenizerConfig, tokenizerJson);
  const modelPath = join(dir, 'onnx', options.dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
  // 'basic', not 'all': onnxruntime-web (browser and Worker) has no extended fusions, and the fused
  // int8 kernels of onnxruntime-node round differently (measured up to 6e-4 in probability on long texts).
  // With 'basic' both engines run the same kernels and agree to float precision.
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, graphOptimizationLevel: 'basic' });
  const classifier = createClassifier(ort.Tensor, session, new Tokenizer(tokenizerJson, tokenizerConfig), config);
  const batchSize = options.batchSize ?? 64;

  const batched =
    <T>(run: (texts: readonly string[]) => Promise<T[]>) =>
    async (texts: readonly string[]): Promise<T[]> => {
      const out: T[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await run(texts.slice(i, i + batchSize))));
      return out;
    };

  return {
    labels: config.labels,
    languages: classifier.languages,
    modelPath,
    maxLength: config.maxLength,
    encode: classifier.encode,
    logits: batched(classifier.logits),
    probabilities: batched(classifier.probabilities),
    tokenStats: classifier.tokenStats,
    async analyze(texts) {
      const out: Awaited<ReturnType<Classifier['analyze']>> = { probabilities: [], stats: [] };
      for (let i = 0; i < texts.length; i += batchSize) {
        const r = await classifier.analyze(texts.slice(i, i + batchSize));
        out.probabilities.push(...r.probabilities);
        out.stats.push(...r.stats);
      }
      return out;
    },
    predict: batched(classifier.classify),
    explains: classifier.explains,
    explain: batched(classifier.explain),
    close: () => session.release(),
  };
}
