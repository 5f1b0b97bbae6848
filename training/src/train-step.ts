/** One training example's backward pass and update: output layer, hidden layer, filters, embedding rows. */
import { convStep, featureDim } from './conv.ts';
import type { ModelShape, ModelWeights, Scratch } from './model.ts';
import { accumulatorFor, step, type Accumulator } from './optimizer.ts';
import { stepRow, type VectorFactor } from './word-vector-factor.ts';

export interface StepContext {
  weights: ModelWeights;
  /** Rows whose dimension 0 (the lexicon prior) stays fixed. */
  frozen: Uint8Array;
  factor: VectorFactor | null;
  l2: number;
  /** Learning rate of the filters and their output weights, relative to lr. */
  convLr: number;
  /** Learning rate of the shared word-vector projection, relative to lr. */
  wordVectorLr: number;
  acc: { embedding: Accumulator; w1: Accumulator; b1: Accumulator; w2: Accumulator; b2: Accumulator; importance: Accumulator };
  dlogits: Float32Array;
  dh: Float32Array;
  dz: Float32Array;
  dpooled: Float32Array;
  dRow: Float32Array;
}

export function createStepContext(
  weights: ModelWeights,
  o: { adagrad: boolean; frozen: Uint8Array; factor: VectorFactor | null; l2: number; convLr: number; wordVectorLr: number },
): StepContext {
  const shape: ModelShape = weights.shape;
  const acc = (w: Float32Array) => accumulatorFor(w, o.adagrad);
  return {
    weights,
    frozen: o.frozen,
    factor: o.factor,
    l2: o.l2,
    convLr: o.convLr,
    wordVectorLr: o.wordVectorLr,
    acc: { embedding: acc(weights.embedding), w1: acc(weights.w1), b1: acc(weights.b1), w2: acc(weights.w2), b2: acc(weights.b2), importance: acc(weights.importance) },
    dlogits: new Float32Array(shape.numLabels),
    dh: new Float32Array(featureDim(shape)),
    dz: new Float32Array(Math.max(shape.hidden, 1)),
    dpooled: new Float32Array(shape.dim),
    dRow: new Float32Array(shape.dim),
  };
}

/**
 * Back-propagates `ctx.dlogits` (already weighted) through the forward pass in `s` (forwardOne over `ids`,
 * `n` feature rows) and updates every parameter group at learning rate `lr`.
 */
export function backwardStep(ctx: StepContext, ids: Int32Array, s: Scratch, n: number, lr: number): void {
  const { weights, dlogits, dh, dz, dpooled, dRow, acc } = ctx;
  const shape = weights.shape;
  const D = shape.dim;
  const H = shape.hidden;
  const L = shape.numLabels;
  const I = featureDim(shape);
  const inPooled = H || D;
  // Output layer.
  const h = s.h;
  for (let i = 0; i < I; i++) {
    let a = 0;
    const row = i * L;
    for (let c = 0; c < L; c++) a += weights.w2[row + c]! * dlogits[c]!;
    dh[i] = a;
  }
  for (let i = 0; i < I; i++) {
    const hv = h[i]!;
    if (hv === 0) continue;
    const row = i * L;
    const lrRow = i < inPooled ? lr : lr * ctx.convLr;
    for (let c = 0; c < L; c++) step(weights.w2, acc.w2, row + c, hv * dlogits[c]! + ctx.l2 * weights.w2[row + c]!, lrRow);
  }
  for (let c = 0; c < L; c++) step(weights.b2, acc.b2, c, dlogits[c]!, lr);
  // Hidden layer.
  if (H > 0) {
    for (let j = 0; j < H; j++) dz[j] = s.z[j]! > 0 ? dh[j]! : 0;
    for (let d = 0; d < D; d++) {
      let a = 0;
      const row = d * H;
      for (let j = 0; j < H; j++) a += weights.w1[row + j]! * dz[j]!;
      dpooled[d] = a;
    }
    for (let d = 0; d < D; d++) {
      const p = s.pooled[d]!;
      const row = d * H;
      for (let j = 0; j < H; j++) {
        const g = p * dz[j]!;
        if (g !== 0) step(weights.w1, acc.w1, row + j, g, lr);
      }
    }
    for (let j = 0; j < H; j++) step(weights.b1, acc.b1, j, dz[j]!, lr);
  } else {
    dpooled.set(dh.subarray(0, D));
  }
  if (shape.conv) convStep(weights, ids, s.conv, dh.subarray(D), lr * ctx.convLr);
  // Embedding rows (sparse) and, with attention, their importance logits.
  const E = weights.embedding;
  const contrast = weights.contrast.length > 0;
  const intensity = weights.intensity.length > 0;
  let gContrast = 0;
  let gUp = 0;
  let gDown = 0;
  for (let f = 0; f < n; f++) {
    const row = s.feats[f]!;
    const off = row * D;
    const coef = s.coef[f]!;
    if (shape.attention) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += (E[off + d]! - s.pooled[d]!) * dpooled[d]!;
      const g = coef * dot;
      if (contrast && s.flags[f]) gContrast += g;
      if (intensity && s.iflags[f]) {
        if (s.iflags[f]! & 1) gUp += g;
        if (s.iflags[f]! & 2) gDown += g;
      }
      step(weights.importance, acc.importance, row, g, lr);
    }
    for (let d = 0; d < D; d++) dRow[d] = dpooled[d]! * coef;
    if (ctx.factor && stepRow(ctx.factor, row, dRow, lr, lr * ctx.wordVectorLr)) continue;
    const d0 = row < ctx.frozen.length && ctx.frozen[row] === 1 ? 1 : 0;
    for (let d = d0; d < D; d++) step(E, acc.embedding, off + d, dRow[d]!, lr);
  }
  // The window weights are one or two scalars: plain SGD.
  if (contrast) step(weights.contrast, null, 0, gContrast, lr);
  if (intensity) {
    step(weights.intensity, null, 0, gUp, lr);
    step(weights.intensity, null, 1, gDown, lr);
  }
}
