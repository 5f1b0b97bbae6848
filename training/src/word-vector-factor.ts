/**
 * Word rows factorised through pre-trained word vectors while training:
 *   embedding[w] = free[w] + vector[w] · P
 * P (vectorDim × dim) is shared by every word, so a word seen once or never in training still gets a
 * useful row from similar words. Only the sum is exported: the ONNX graph does not change. Rows are
 * refreshed lazily (before each use) and all at once at epoch ends. (Factorising the attention importance
 * the same way was measured too: better transfer to tweets, −1 pt on SST-2, so it is not done.)
 */
import type { ModelWeights } from './model.ts';
import type { WordVectors } from './word-vectors.ts';

export interface VectorFactor {
  /** Vector dimension. */
  k: number;
  /** [vocabSize × k]; rows of words without a vector are zero. */
  vectors: Float32Array;
  has: Uint8Array;
  /** [vocabSize × dim] the free part of each row. */
  free: Float32Array;
  /** [k × dim] */
  p: Float32Array;
}

export interface VectorFactorOptions {
  /** Rows (by id) that keep a plain, unfactorised row. */
  skip?: Uint8Array;
  /** The free part starts from the current row in its first `keepDims` dimensions and from 0 elsewhere. */
  keepDims: number;
}

/** `tokens[row]` is the word of each row; P starts at 0. */
export function createVectorFactor(weights: ModelWeights, tokens: readonly string[], wv: WordVectors, options: VectorFactorOptions): VectorFactor {
  const { vocabSize, dim } = weights.shape;
  const k = wv.dim;
  const vectors = new Float32Array(vocabSize * k);
  const has = new Uint8Array(vocabSize);
  const free = weights.embedding.slice(0, vocabSize * dim);
  for (let row = 0; row < Math.min(vocabSize, tokens.length); row++) {
    const v = options.skip?.[row] ? undefined : wv.get(tokens[row]!);
    if (!v) continue;
    vectors.set(v, row * k);
    has[row] = 1;
    free.fill(0, row * dim + options.keepDims, (row + 1) * dim);
  }
  return { k, vectors, has, free, p: new Float32Array(k * dim) };
}

/** Writes free + vector·P into the embedding row (no-op for rows without a vector). */
export function refreshRow(f: VectorFactor, w: ModelWeights, row: number): void {
  if (row >= f.has.length || f.has[row] === 0) return;
  const D = w.shape.dim;
  const { k, vectors, p } = f;
  const vo = row * k;
  const eo = row * D;
  for (let d = 0; d < D; d++) {
    let acc = f.free[eo + d]!;
    for (let j = 0; j < k; j++) acc += vectors[vo + j]! * p[j * D + d]!;
    w.embedding[eo + d] = acc;
  }
}

export function refreshAll(f: VectorFactor, w: ModelWeights): void {
  for (let row = 0; row < f.has.length; row++) refreshRow(f, w, row);
}

/**
 * SGD step for one occurrence of a row, given d loss / d embedding[row]: the free part moves at `lr`, P at
 * `lrShared`. Returns false (and does nothing) for rows without a vector.
 */
export function stepRow(f: VectorFactor, row: number, grad: ArrayLike<number>, lr: number, lrShared: number): boolean {
  if (row >= f.has.length || f.has[row] === 0) return false;
  const D = grad.length;
  const { k, vectors, p } = f;
  const vo = row * k;
  for (let d = 0; d < D; d++) f.free[row * D + d]! -= lr * grad[d]!;
  for (let j = 0; j < k; j++) {
    const x = vectors[vo + j]! * lrShared;
    if (x === 0) continue;
    const po = j * D;
    for (let d = 0; d < D; d++) p[po + d]! -= x * grad[d]!;
  }
  return true;
}
