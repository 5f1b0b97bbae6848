/**
 * The order-aware part of the `cnn` encoder (Kim 2014, "Convolutional Neural Networks for Sentence
 * Classification", with one filter width): every token id has a small trainable vector (`convTable`, started
 * from its GloVe vector through a fixed random projection), a 1-D convolution of width `width` slides over the
 * token sequence ("same" padding: zero vectors beyond both ends), each filter is max-pooled over the positions,
 * then squashed by tanh. Not ReLU: with per-example SGD on weighted rows, ReLU filters died (every window ≤ 0, no
 * gradient; all 32 filters of a first default-recipe run); a max over linear windows without a squash diverged
 * (NaN in the first epoch). tanh(max) = max(tanh): bounded, and a gradient always reaches the winning window. The `filters` values join the pooled embedding-bag features before the
 * output layer, so "not bad" and "bad" can differ by the order of their words, not by a window rule.
 * The ONNX graph computes the same with Gather, Transpose, Conv, a −1e9 bias on padding, ReduceMax and Tanh
 * (export/graph.ts); the export tests check both agree.
 */
import type { ModelShape, ModelWeights } from './model.ts';
import { createRng } from './rng.ts';
import type { WordVectors } from './word-vectors.ts';

export interface ConvShape {
  /** Filter width in tokens. */
  width: number;
  filters: number;
  /** Size of each token's vector (columns of convTable). */
  dim: number;
}

/** Padding before the first token: window i covers tokens i − padBefore … i − padBefore + width − 1. */
export function padBefore(conv: ConvShape): number {
  return Math.floor((conv.width - 1) / 2);
}

/** Number of features after pooling: the embedding-bag part (hidden or dim) plus the filters. */
export function featureDim(shape: ModelShape): number {
  return (shape.hidden || shape.dim) + (shape.conv?.filters ?? 0);
}

/**
 * Random starting weights: table rows uniform in ±0.5/sqrt(dim) (seedConvTable replaces the rows of words
 * with a vector; an all-zero start would leave every filter at its bias, ReLU 0, with no gradient), filters
 * uniform in ±sqrt(6 / (fan_in + fan_out)), biases 0. Row 0 ([PAD]) is zero and stays so: padded positions of
 * a batch are then the zero vectors the trainer pads with.
 */
export function initConv(shape: ModelShape, seed: number): Pick<ModelWeights, 'convTable' | 'convW' | 'convB'> {
  const c = shape.conv;
  if (!c) return { convTable: new Float32Array(0), convW: new Float32Array(0), convB: new Float32Array(0) };
  const rng = createRng(seed * 31 + 7);
  const convW = new Float32Array(c.filters * c.dim * c.width);
  const a = Math.sqrt(6 / (c.dim * c.width + c.filters));
  for (let i = 0; i < convW.length; i++) convW[i] = (rng() * 2 - 1) * a;
  const convTable = new Float32Array(shape.vocabSize * c.dim);
  const t = 0.5 / Math.sqrt(c.dim);
  for (let i = c.dim; i < convTable.length; i++) convTable[i] = (rng() * 2 - 1) * t;
  return { convTable, convW, convB: new Float32Array(c.filters) };
}

/**
 * Sets each word's table row to its word vector times a fixed random projection (entries ±sqrt(3/k), so a
 * row's values have about the spread of the vector's norm / sqrt(k)); words without a vector keep their random row.
 * `tokens[row]` is the word of each row.
 */
export function seedConvTable(weights: ModelWeights, tokens: readonly string[], wv: WordVectors, seed: number): void {
  const c = weights.shape.conv;
  if (!c) return;
  const rng = createRng(seed * 131 + 3);
  const k = wv.dim;
  const r = new Float32Array(k * c.dim);
  const a = Math.sqrt(3 / k);
  for (let i = 0; i < r.length; i++) r[i] = (rng() * 2 - 1) * a;
  for (let row = 1; row < Math.min(weights.shape.vocabSize, tokens.length); row++) {
    const v = wv.get(tokens[row]!);
    if (!v) continue;
    const off = row * c.dim;
    weights.convTable.fill(0, off, off + c.dim);
    for (let j = 0; j < k; j++) {
      const x = v[j]!;
      const rr = j * c.dim;
      for (let d = 0; d < c.dim; d++) weights.convTable[off + d]! += x * r[rr + d]!;
    }
  }
}

export interface ConvScratch {
  /** tanh of the max-pooled filter values. */
  pooled: Float64Array;
  /** Position of each filter's maximum. */
  argmax: Int32Array;
  /** Filter gradient accumulated over one example. */
  gW: Float32Array;
  /** Each filter's loss gradient before the tanh. */
  grad: Float64Array;
}

export function createConvScratch(shape: ModelShape): ConvScratch {
  const c = shape.conv;
  const f = c?.filters ?? 0;
  return { pooled: new Float64Array(f), argmax: new Int32Array(f), gW: new Float32Array(f * (c?.dim ?? 0) * (c?.width ?? 0)), grad: new Float64Array(f) };
}

/** Forward pass for one token sequence: fills s.pooled and s.argmax. ONNX Conv's weight layout: W[f][d][k]. */
export function convForward(w: ModelWeights, ids: ArrayLike<number>, s: ConvScratch): void {
  const c = w.shape.conv!;
  const { width: K, filters: F, dim: C } = c;
  const n = ids.length;
  const p0 = padBefore(c);
  const T = w.convTable;
  const W = w.convW;
  for (let f = 0; f < F; f++) {
    let best = -Infinity;
    let at = 0;
    const wf = f * C * K;
    for (let i = 0; i < n; i++) {
      let acc = w.convB[f]!;
      for (let k = 0; k < K; k++) {
        const pos = i - p0 + k;
        if (pos < 0 || pos >= n) continue;
        const off = ids[pos]! * C;
        for (let d = 0; d < C; d++) acc += W[wf + d * K + k]! * T[off + d]!;
      }
      if (acc > best) {
        best = acc;
        at = i;
      }
    }
    s.pooled[f] = Math.tanh(best);
    s.argmax[f] = at;
  }
}

/**
 * Calls `visit(wk, off, g)` for every token of each filter's winning window: wk = the filter's weight offset for
 * that window position (+ d·width per dimension d), off = the token's table offset, g = s.grad[f].
 */
function eachWinningToken(w: ModelWeights, ids: ArrayLike<number>, s: ConvScratch, visit: (wk: number, off: number, g: number) => void): void {
  const c = w.shape.conv!;
  const { width: K, filters: F, dim: C } = c;
  const p0 = padBefore(c);
  for (let f = 0; f < F; f++) {
    const g = s.grad[f]!;
    if (g === 0) continue;
    for (let k = 0; k < K; k++) {
      const pos = s.argmax[f]! - p0 + k;
      if (pos >= 0 && pos < ids.length) visit(f * C * K + k, ids[pos]! * C, g);
    }
  }
}

/**
 * Backward pass and SGD step for one example: `dpooled[f]` is the loss gradient of filter f's value (after tanh).
 * Only each filter's winning window gets a gradient (max pooling); the table rows and filters both use the
 * values from before this step.
 */
export function convStep(w: ModelWeights, ids: ArrayLike<number>, s: ConvScratch, dpooled: ArrayLike<number>, lr: number): void {
  const { width: K, filters: F, dim: C } = w.shape.conv!;
  const T = w.convTable;
  const W = w.convW;
  const gW = s.gW;
  for (let f = 0; f < F; f++) {
    const t = s.pooled[f]!;
    s.grad[f] = dpooled[f]! * (1 - t * t);
  }
  gW.fill(0);
  eachWinningToken(w, ids, s, (wk, off, g) => {
    for (let d = 0; d < C; d++) gW[wk + d * K]! += g * T[off + d]!;
  });
  for (let f = 0; f < F; f++) w.convB[f]! -= lr * s.grad[f]!;
  eachWinningToken(w, ids, s, (wk, off, g) => {
    // Row 0 is [PAD]: it stays zero.
    if (off === 0) return;
    for (let d = 0; d < C; d++) T[off + d]! -= lr * g * W[wk + d * K]!;
  });
  for (let i = 0; i < W.length; i++) W[i]! -= lr * gW[i]!;
}
