/**
 * Engine-neutral text classification over an exported model in Hugging Face layout:
 * tokenize → pad → run the ONNX graph → softmax. The ONNX Runtime module (onnxruntime-web in the
 * browser and in workerd, onnxruntime-node in training) and the tokenizer (@huggingface/tokenizers)
 * are passed in, so web, worker and training share this one piece of logic and cannot drift.
 */
import type { Prediction } from './serving-api.ts';
import { tokenStats, type TokenStats } from './token-stats.ts';

/** The part of onnxruntime's `Tensor` constructor we use (identical in onnxruntime-web and -node). */
export interface TensorConstructor<T> {
  new (type: 'int64', data: BigInt64Array, dims: readonly number[]): T;
}

/** The part of an onnxruntime `InferenceSession` we use. */
export interface SessionLike<T> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** `fetches`: the outputs to compute (onnxruntime skips the rest). */
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

/** The part of @huggingface/tokenizers' `Tokenizer` we use. */
export interface TokenizerLike {
  encode(text: string): { ids: number[]; tokens?: string[] };
}

/** The graph output with per-token contributions (models exported by the training package without a hidden layer). */
export const TOKEN_SCORES_OUTPUT = 'token_scores';

/** Why a text got its label: what each token added to each label's logit. */
export interface Explanation {
  prediction: Prediction;
  /**
   * One entry per token fed to the graph ([CLS] and [SEP] included), in order. `scores[label]` is the token's
   * contribution to that label's (calibrated) logit: its word's share of the pooled embedding plus half of each
   * word pair it is in. The contributions of all tokens plus a per-label constant sum to the logits.
   */
  tokens: { id: number; token: string; scores: Record<string, number> }[];
  /** tokenStats of the tokens fed to the graph (what drift monitoring records). */
  stats: TokenStats;
  /** Tokens the whole text has, [CLS]/[SEP] included: more than `tokens.length` when the text was cut. */
  totalTokens: number;
}

/** What the classifier needs from config.json and tokenizer_config.json. */
export interface ModelConfig {
  /** Labels in logit order (from config.json id2label). */
  labels: string[];
  /** Longest token sequence fed to the graph (tokenizer_config.json model_max_length). */
  maxLength: number;
  /** Token id used for padding. */
  padId: number;
  /** The unknown token's id (tokenizer.json model.unk_token), or null when the tokenizer has none. */
  unkId?: number | null;
  /** Ids of the special tokens ([CLS], [SEP], [PAD] …: tokenizer.json added_tokens marked special). */
  specialIds?: readonly number[];
  /** The languages the model was trained on (BCP 47; config.json sentiment_edge.languages), null when not recorded. */
  languages?: readonly string[] | null;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

/** Reads labels, max length and pad id from a model directory's JSON files. */
export function readModelConfig(config: unknown, tokenizerConfig: unknown, tokenizerJson: unknown): ModelConfig {
  const id2label = (config as { id2label?: Record<string, string> })?.id2label;
  if (!id2label || typeof id2label !== 'object') throw new ModelConfigError('config.json has no id2label: cannot name the classes');
  const n = Object.keys(id2label).length;
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = id2label[String(i)];
    if (typeof l !== 'string') throw new ModelConfigError(`config.json id2label has no entry for class ${i}`);
    labels.push(l);
  }
  const tc = (tokenizerConfig ?? {}) as { model_max_length?: number; pad_token?: string };
  const maxLength = typeof tc.model_max_length === 'number' && tc.model_max_length > 2 && tc.model_max_length < 1e6 ? tc.model_max_length : 512;
  const padToken = tc.pad_token ?? '[PAD]';
  const tj = tokenizerJson as { added_tokens?: { id: number; content: string; special?: boolean }[]; model?: { vocab?: Record<string, number>; unk_token?: unknown } };
  const padId = tj?.added_tokens?.find((t) => t.content === padToken)?.id ?? tj?.model?.vocab?.[padToken] ?? 0;
  const unkToken = tj?.model?.unk_token;
  const unkId = typeof unkToken === 'string' ? (tj?.model?.vocab?.[unkToken] ?? tj?.added_tokens?.find((t) => t.content === unkToken)?.id ?? null) : null;
  const specialIds = (tj?.added_tokens ?? []).filter((t) => t.special === true && t.content !== unkToken).map((t) => t.id);
  const langs = (config as { sentiment_edge?: { languages?: unknown } }).sentiment_edge?.languages;
  const languages = Array.isArray(langs) && langs.every((l) => typeof l === 'string') ? (langs as string[]) : null;
  return { labels, maxLength, padId, unkId, specialIds, languages };
}

export interface Classifier {
  readonly labels: readonly string[];
  /** The languages the model was trained on (BCP 47), null for models that do not record them (language.ts: never warn). */
  readonly languages: readonly string[] | null;
  /** Token ids exactly as fed to the graph (special tokens added, truncated to maxLength). */
  encode(text: string): number[];
  /** Raw logits for each text, in input order, one batched session run. */
  logits(texts: readonly string[]): Promise<Float32Array[]>;
  /** Class probabilities (softmax of the logits) for each text. */
  probabilities(texts: readonly string[]): Promise<Float32Array[]>;
  /** A text's token statistics (what drift monitoring records with each prediction). */
  tokenStats(text: string): TokenStats;
  /** Probabilities plus each text's token statistics (what drift monitoring needs), from one tokenization. */
  analyze(texts: readonly string[]): Promise<{ probabilities: Float32Array[]; stats: TokenStats[] }>;
  classify(texts: readonly string[]): Promise<Prediction[]>;
  /** True when the graph has a `token_scores` output (then `explain` works). */
  readonly explains: boolean;
  /** Predictions with per-token contributions (graph output `token_scores`); throws ModelConfigError without it. */
  explain(texts: readonly string[]): Promise<Explanation[]>;
}

export function createClassifier<T>(
  Tensor: TensorConstructor<T>,
  session: SessionLike<T>,
  tokenizer: TokenizerLike,
  config: ModelConfig,
): Classifier {
  const { labels, maxLength, padId } = config;
  const unkId = config.unkId ?? null;
  const specialIds = new Set(config.specialIds ?? []);
  const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0]!;

  const explains = session.outputNames.includes(TOKEN_SCORES_OUTPUT);

  const encode = (text: string): number[] => truncateIds(tokenizer.encode(text).ids, maxLength);

  async function logits(texts: readonly string[]): Promise<Float32Array[]> {
    return (await run(texts, false)).logits;
  }

  async function run(
    texts: readonly string[],
    withTokens: boolean,
  ): Promise<{ logits: Float32Array[]; seq: number; tokenScores: Float32Array | null; encoded: number[][]; encodings: ReturnType<TokenizerLike['encode']>[] }> {
    if (texts.length === 0) return { logits: [], seq: 0, tokenScores: null, encoded: [], encodings: [] };
    // explain needs the word pieces and the whole text's length too: each text is encoded once, here.
    const encodings = withTokens ? texts.map((t) => tokenizer.encode(t)) : [];
    const encoded = withTokens ? encodings.map((e) => truncateIds(e.ids, maxLength)) : texts.map(encode);
    const seq = Math.max(1, ...encoded.map((ids) => ids.length));
    const ids = new BigInt64Array(texts.length * seq).fill(BigInt(padId));
    const mask = new BigInt64Array(texts.length * seq);
    encoded.forEach((row, b) => {
      for (let j = 0; j < row.length; j++) {
        ids[b * seq + j] = BigInt(row[j]!);
        mask[b * seq + j] = 1n;
      }
    });
    const dims = [texts.length, seq] as const;
    const feeds: Record<string, T> = {};
    for (const name of session.inputNames) {
      if (name === 'input_ids') feeds[name] = new Tensor('int64', ids, dims);
      else if (name === 'attention_mask') feeds[name] = new Tensor('int64', mask, dims);
      else if (name === 'token_type_ids') feeds[name] = new Tensor('int64', new BigInt64Array(ids.length), dims);
      else throw new ModelConfigError(`the ONNX graph wants an input "${name}" this runtime does not know how to fill`);
    }
    const results = await session.run(feeds, withTokens ? [output, TOKEN_SCORES_OUTPUT] : [output]);
    const out = results[output];
    if (!out) throw new ModelConfigError(`the ONNX graph returned no "${output}" output`);
    const data = out.data as Float32Array;
    const k = labels.length;
    if (data.length !== texts.length * k) {
      throw new ModelConfigError(`the graph returned ${data.length} logits for ${texts.length} texts × ${k} labels: config.json and the graph disagree`);
    }
    let tokenScores: Float32Array | null = null;
    if (withTokens) {
      const ts = results[TOKEN_SCORES_OUTPUT];
      tokenScores = (ts?.data as Float32Array | undefined) ?? null;
      if (!tokenScores || tokenScores.length !== texts.length * seq * k) {
        throw new ModelConfigError(`the graph's "${TOKEN_SCORES_OUTPUT}" output is not [${texts.length}, ${seq}, ${k}]`);
      }
    }
    return { logits: texts.map((_, b) => data.slice(b * k, (b + 1) * k)), seq, tokenScores, encoded, encodings };
  }

  async function explain(texts: readonly string[]): Promise<Explanation[]> {
    if (!explains) throw new ModelConfigError(`this model's graph has no "${TOKEN_SCORES_OUTPUT}" output: it cannot say which words pushed the answer`);
    const { logits: raw, seq, tokenScores, encoded, encodings } = await run(texts, true);
    const k = labels.length;
    return texts.map((_, b) => {
      const enc = encodings[b]!;
      const ids = encoded[b]!;
      const words = enc.tokens ? truncateIds(enc.tokens, maxLength) : null;
      const tokens = ids.map((id, j) => {
        const scores: Record<string, number> = {};
        for (let c = 0; c < k; c++) scores[labels[c]!] = tokenScores![(b * seq + j) * k + c]!;
        return { id, token: words?.[j] ?? String(id), scores };
      });
      return { prediction: toPrediction(softmax(raw[b]!), labels), tokens, stats: tokenStats(ids, unkId, specialIds), totalTokens: enc.ids.length };
    });
  }

  async function probabilities(texts: readonly string[]): Promise<Float32Array[]> {
    return (await logits(texts)).map(softmax);
  }

  async function analyze(texts: readonly string[]): Promise<{ probabilities: Float32Array[]; stats: TokenStats[] }> {
    const r = await run(texts, false);
    return { probabilities: r.logits.map(softmax), stats: r.encoded.map((ids) => tokenStats(ids, unkId, specialIds)) };
  }

  return {
    labels,
    languages: config.languages ?? null,
    encode,
    logits,
    probabilities,
    analyze,
    tokenStats: (text) => tokenStats(encode(text), unkId, specialIds),
    async classify(texts) {
      return (await probabilities(texts)).map((p) => toPrediction(p, labels));
    },
    explains,
    explain,
  };
}

/** Keeps the first maxLength-1 tokens and the final one (the [SEP] the post-processor added). */
export function truncateIds<T>(ids: T[], maxLength: number): T[] {
  return ids.length <= maxLength ? ids : [...ids.slice(0, maxLength - 1), ids[ids.length - 1]!];
}

export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

export function toPrediction(probs: ArrayLike<number>, labels: readonly string[]): Prediction {
  let best = 0;
  for (let i = 1; i < labels.length; i++) if (probs[i]! > probs[best]!) best = i;
  // fromEntries defines own properties: a label such as "__proto__" stays a key (assignment would set the prototype).
  const probabilities: Record<string, number> = Object.fromEntries(labels.map((l, i) => [l, probs[i]!]));
  return { label: labels[best]!, score: probs[best]!, probabilities };
}
