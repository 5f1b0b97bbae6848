/**
 * The classifier: a fastText-style embedding bag over word unigrams and hashed word bigrams,
 * mean-pooled, an optional ReLU hidden layer, then a linear layer to logits.
 * Bigram ids are computed from the two word ids exactly as the ONNX graph does:
 *   vocabSize + ((a * bigramPrime + b) mod buckets).
 */
import { convForward, createConvScratch, featureDim, initConv, type ConvScratch, type ConvShape } from './conv.ts';
import { createRng } from './rng.ts';
import { contrastFlags, hasContrast, hasIntensity, intensityFlags } from './windows.ts';

export interface ModelShape {
  vocabSize: number;
  buckets: number;
  dim: number;
  /** 0 = no hidden layer. */
  hidden: number;
  numLabels: number;
  bigramPrime: number;
  /** Pooling divides the embedding sum by count^poolPower (1 = mean, 0.5 = sqrt). */
  poolPower: number;
  /** Attention pooling: each feature row has a learned scalar importance a; pooled = Σ e^a·v / Σ e^a. */
  attention: boolean;
  /**
   * Negation scope (0 or absent = off): a word up to this many tokens after a negator (`negators`), with no
   * clause break (`breaks`: punctuation, "but", …) in between, uses its "negated" row
   * vocabSize + ((NEGATED_MARK·bigramPrime + id) mod buckets) instead of its own — a hashed row like a
   * bigram's, learned in training. The ONNX graph marks the same scope with Equal/Pad/Slice.
   */
  negationScope?: number;
  negators?: number[];
  breaks?: number[];
  /**
   * Contrast ("the plot was thin, but the acting was wonderful"; attention models only; 0 or absent = off):
   * the features of the `contrastWindow` tokens before a contrast word (`contrastMarkers`: but, however, …)
   * get the learned `ModelWeights.contrast[0]` added to their attention logit, so the clause a "but" overrides
   * can weigh less (or more) in the pool. A bigram counts when its second word does; markers never do.
   */
  contrastWindow?: number;
  contrastMarkers?: number[];
  /**
   * Intensifiers and reducers ("very good", "slightly disappointing"; attention models only; 0 or absent =
   * off): the features of the `intensityWindow` tokens after an intensifier (`intensifiers`: very, really, …)
   * get the learned `ModelWeights.intensity[0]` added to their attention logit, those after a reducer
   * (`reducers`: slightly, somewhat, …) `intensity[1]`, so the word a "very" qualifies can weigh more in the
   * pool and the one a "slightly" qualifies less. A bigram counts when its second word does; markers never do.
   */
  intensityWindow?: number;
  intensifiers?: number[];
  reducers?: number[];
  /**
   * The `cnn` encoder (absent = `pooled`; no hidden layer): a 1-D convolution over per-token vectors, max-pooled,
   * whose filters join the pooled features before the output layer (conv.ts).
   */
  conv?: ConvShape;
}

/** The token id whose "bigram" with a word is that word's negated row ([MASK]: never in text). */
export const NEGATED_MARK = 4;

export function negatedRow(id: number, shape: ModelShape): number {
  return shape.vocabSize + ((NEGATED_MARK * shape.bigramPrime + id) % shape.buckets);
}

const scopeSets = new WeakMap<ModelShape, { neg: Set<number>; brk: Set<number> }>();

/** Unigram feature ids with negation scope applied (ids unchanged when the shape has none). */
export function scopedUnigrams(ids: ArrayLike<number>, shape: ModelShape, out: Int32Array): void {
  const w = shape.negationScope ?? 0;
  if (w <= 0) {
    for (let i = 0; i < ids.length; i++) out[i] = ids[i]!;
    return;
  }
  let sets = scopeSets.get(shape);
  if (!sets) {
    sets = { neg: new Set(shape.negators ?? []), brk: new Set(shape.breaks ?? []) };
    scopeSets.set(shape, sets);
  }
  let lastNeg = -1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const isNeg = sets.neg.has(id);
    const isBrk = sets.brk.has(id);
    out[i] = !isNeg && !isBrk && lastNeg >= 0 && i - lastNeg <= w ? negatedRow(id, shape) : id;
    if (isBrk) lastNeg = -1;
    if (isNeg) lastNeg = i;
  }
}

export interface ModelWeights {
  shape: ModelShape;
  /** [(vocabSize + buckets) x dim] row-major. */
  embedding: Float32Array;
  /** [dim x hidden] row-major (empty when hidden = 0). */
  w1: Float32Array;
  b1: Float32Array;
  /** [in x numLabels] row-major, in = featureDim(shape): (hidden || dim) + conv filters. */
  w2: Float32Array;
  b2: Float32Array;
  /** [(vocabSize + buckets)] importance logits (empty unless shape.attention). */
  importance: Float32Array;
  /** [1] the attention-logit shift of features before a contrast word (empty unless shape.contrastWindow). */
  contrast: Float32Array;
  /** [2] the attention-logit shifts of features after an intensifier and after a reducer (empty unless shape.intensityWindow). */
  intensity: Float32Array;
  /** [vocabSize x conv.dim] per-token vectors of the convolution (empty without shape.conv). */
  convTable: Float32Array;
  /** [filters x conv.dim x width] (ONNX Conv layout). */
  convW: Float32Array;
  /** [filters] */
  convB: Float32Array;
  /**
   * Calibration temperature (1 = none): the exported graph divides the logits by it. Fitted after training
   * on held-out rows (train.ts `calibrate`); the trainer's own forward pass ignores it.
   */
  temperature: number;
}

export const DEFAULT_BIGRAM_PRIME = 1000003;

export function rowsOf(shape: ModelShape): number {
  return shape.vocabSize + shape.buckets;
}

export function initWeights(shape: ModelShape, seed: number): ModelWeights {
  const rng = createRng(seed);
  const rows = rowsOf(shape);
  const embedding = new Float32Array(rows * shape.dim);
  const a = 1 / shape.dim;
  for (let i = 0; i < embedding.length; i++) embedding[i] = (rng() * 2 - 1) * a;
  const inDim = featureDim(shape);
  const w1 = new Float32Array(shape.dim * shape.hidden);
  const s1 = Math.sqrt(6 / (shape.dim + shape.hidden || 1));
  for (let i = 0; i < w1.length; i++) w1[i] = (rng() * 2 - 1) * s1;
  const b1 = new Float32Array(shape.hidden);
  const w2 = new Float32Array(inDim * shape.numLabels);
  const b2 = new Float32Array(shape.numLabels);
  const importance = new Float32Array(shape.attention ? rows : 0);
  const contrast = new Float32Array(hasContrast(shape) ? 1 : 0);
  const intensity = new Float32Array(hasIntensity(shape) ? 2 : 0);
  return { shape, embedding, w1, b1, w2, b2, importance, contrast, intensity, ...initConv(shape, seed), temperature: 1 };
}

export function cloneWeights(w: ModelWeights): ModelWeights {
  return {
    shape: { ...w.shape },
    embedding: w.embedding.slice(),
    w1: w.w1.slice(),
    b1: w.b1.slice(),
    w2: w.w2.slice(),
    b2: w.b2.slice(),
    importance: w.importance.slice(),
    contrast: w.contrast.slice(),
    intensity: w.intensity.slice(),
    convTable: w.convTable.slice(),
    convW: w.convW.slice(),
    convB: w.convB.slice(),
    temperature: w.temperature,
  };
}

/** Feature rows for one token sequence (ids include [CLS]/[SEP]); returns how many were written. */
export function featurize(ids: Int32Array, shape: ModelShape, out: Int32Array): number {
  const n = ids.length;
  scopedUnigrams(ids, shape, out);
  let k = n;
  for (let i = 0; i + 1 < n; i++) {
    out[k++] = shape.vocabSize + ((ids[i]! * shape.bigramPrime + ids[i + 1]!) % shape.buckets);
  }
  return k;
}

export function poolScale(n: number, shape: ModelShape): number {
  const c = Math.max(n, 1);
  return shape.poolPower === 1 ? 1 / c : 1 / Math.pow(c, shape.poolPower);
}

export function maxFeatures(seqLen: number): number {
  return Math.max(1, 2 * seqLen - 1);
}

/** Scratch buffers for one forward/backward pass. */
export interface Scratch {
  feats: Int32Array;
  /** contrastFlags of the features (models with a contrast window). */
  flags: Uint8Array;
  /** intensityFlags of the features (models with an intensity window). */
  iflags: Uint8Array;
  /** Pooling weight of each feature (attention) — coefficient already divided by the normaliser. */
  coef: Float64Array;
  pooled: Float64Array;
  z: Float64Array;
  h: Float64Array;
  logits: Float64Array;
  probs: Float64Array;
  conv: ConvScratch;
}

export function createScratch(shape: ModelShape, maxLen: number): Scratch {
  return {
    feats: new Int32Array(maxFeatures(maxLen)),
    flags: new Uint8Array(maxFeatures(maxLen)),
    iflags: new Uint8Array(maxFeatures(maxLen)),
    coef: new Float64Array(maxFeatures(maxLen)),
    pooled: new Float64Array(shape.dim),
    z: new Float64Array(shape.hidden),
    h: new Float64Array(featureDim(shape)),
    logits: new Float64Array(shape.numLabels),
    probs: new Float64Array(shape.numLabels),
    conv: createConvScratch(shape),
  };
}

/** Forward pass for one example; fills scratch (feats, pooled, z, h, logits, probs); returns feature count. */
export function forwardOne(w: ModelWeights, ids: Int32Array, s: Scratch): number {
  const { dim: D, hidden: H, numLabels: L } = w.shape;
  if (s.feats.length < maxFeatures(ids.length)) {
    s.feats = new Int32Array(maxFeatures(ids.length));
    s.flags = new Uint8Array(maxFeatures(ids.length));
    s.iflags = new Uint8Array(maxFeatures(ids.length));
    s.coef = new Float64Array(maxFeatures(ids.length));
  }
  const n = featurize(ids, w.shape, s.feats);
  const pooled = s.pooled;
  pooled.fill(0);
  const E = w.embedding;
  if (w.shape.attention) {
    const contrast = w.contrast.length > 0;
    const shift = contrast ? w.contrast[0]! : 0;
    if (contrast) contrastFlags(ids, w.shape, s.flags);
    const intensity = w.intensity.length > 0;
    const up = intensity ? w.intensity[0]! : 0;
    const down = intensity ? w.intensity[1]! : 0;
    if (intensity) intensityFlags(ids, w.shape, s.iflags);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      let a = w.importance[s.feats[k]!]!;
      if (contrast && s.flags[k]) a += shift;
      if (intensity && s.iflags[k]) a += (s.iflags[k]! & 1 ? up : 0) + (s.iflags[k]! & 2 ? down : 0);
      const e = Math.exp(a);
      s.coef[k] = e;
      sum += e;
    }
    for (let k = 0; k < n; k++) s.coef[k] = s.coef[k]! / sum;
  } else {
    const inv = poolScale(n, w.shape);
    s.coef.fill(inv, 0, n);
  }
  for (let k = 0; k < n; k++) {
    const off = s.feats[k]! * D;
    const c = s.coef[k]!;
    for (let d = 0; d < D; d++) pooled[d]! += c * E[off + d]!;
  }
  let h: Float64Array = pooled;
  if (H > 0) {
    for (let j = 0; j < H; j++) s.z[j] = w.b1[j]!;
    for (let d = 0; d < D; d++) {
      const p = pooled[d]!;
      const row = d * H;
      for (let j = 0; j < H; j++) s.z[j]! += p * w.w1[row + j]!;
    }
    for (let j = 0; j < H; j++) s.h[j] = s.z[j]! > 0 ? s.z[j]! : 0;
    h = s.h;
  } else {
    s.h.set(pooled);
    h = s.h;
  }
  if (w.shape.conv) {
    convForward(w, ids, s.conv);
    s.h.set(s.conv.pooled, D);
  }
  const I = featureDim(w.shape);
  for (let c = 0; c < L; c++) s.logits[c] = w.b2[c]!;
  for (let i = 0; i < I; i++) {
    const v = h[i]!;
    const row = i * L;
    for (let c = 0; c < L; c++) s.logits[c]! += v * w.w2[row + c]!;
  }
  softmaxInto(s.logits, s.probs);
  return n;
}

export function softmaxInto(logits: ArrayLike<number>, out: Float32Array | Float64Array): void {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - m);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) out[i] = out[i]! / sum;
}

/** Logits for many sequences (trainer's own forward pass), divided by the calibration temperature as the graph does. */
export function predictLogits(w: ModelWeights, seqs: readonly Int32Array[]): Float32Array[] {
  const s = createScratch(w.shape, 256);
  const inv = 1 / w.temperature;
  return seqs.map((ids) => {
    forwardOne(w, ids, s);
    return Float32Array.from(s.logits, (v) => v * inv);
  });
}

/** Class probabilities, calibrated (softmax of predictLogits). */
export function predictProbs(w: ModelWeights, seqs: readonly Int32Array[]): Float32Array[] {
  return predictLogits(w, seqs).map((l) => {
    const p = new Float32Array(l.length);
    softmaxInto(l, p);
    return p;
  });
}
