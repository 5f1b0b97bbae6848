/**
 * A plain linear model in the embedding-bag graph: the same unigram + hashed bigram features (model.ts
 * `featurize`), pooled by count^poolPower, with no priors, no attention and no hidden layer. The embedding
 * dimension is the number of labels and the output layer is the identity, so logits = bias + Σ pooled
 * feature × its row: multinomial logistic regression on the graph's own features.
 *
 * Trained like the TF-IDF + LR peer (peers/tfidf-lr.ts `fitLogisticRegression`): full batch, deterministic,
 * L2 penalty ||W||² / 2C. Each feature is scaled by its smooth idf while training (LR on idf-weighted
 * features), and the exported row is idf × weight, so the graph needs nothing new. With poolPower 0.5 a text's
 * feature vector has roughly unit scale per idf, close to TF-IDF's L2-normalised rows.
 */
import { computeMetrics } from './metrics.ts';
import { DEFAULT_BIGRAM_PRIME, featurize, initWeights, maxFeatures, poolScale, predictProbs, type ModelShape } from './model.ts';
import { fitLogisticRegression, type Csr } from './peers/tfidf-lr.ts';
import { buildTokenizerConfig, buildTokenizerJson, buildVocab, createTokenizer, encodeTexts } from './tokenizer.ts';
import { DEFAULT_TRAIN_PARAMS, type TrainedModel } from './train.ts';
import type { Dataset } from './data.ts';

export interface LinearOptions {
  /** Inverse L2 strength, as scikit-learn's C. */
  C: number;
  buckets: number;
  poolPower: number;
  maxIterations: number;
}

export const DEFAULT_LINEAR: LinearOptions = { C: 4, buckets: 262_144, poolPower: 0.5, maxIterations: 200 };

/** Pooled feature vectors (row id → coefficient, duplicates summed) as CSR over the rows of `shape`. */
function pooledRows(seqs: readonly Int32Array[], shape: ModelShape): { rows: Int32Array[]; coefs: Float64Array[] } {
  let feats = new Int32Array(maxFeatures(256));
  const rows: Int32Array[] = [];
  const coefs: Float64Array[] = [];
  for (const ids of seqs) {
    if (feats.length < maxFeatures(ids.length)) feats = new Int32Array(maxFeatures(ids.length));
    const n = featurize(ids, shape, feats);
    const c = poolScale(n, shape);
    const acc = new Map<number, number>();
    for (let k = 0; k < n; k++) acc.set(feats[k]!, (acc.get(feats[k]!) ?? 0) + c);
    rows.push(Int32Array.from(acc.keys()));
    coefs.push(Float64Array.from(acc.values()));
  }
  return { rows, coefs };
}

export function trainLinear(train: Dataset, validation: Dataset, options: Partial<LinearOptions> = {}, seed = DEFAULT_TRAIN_PARAMS.seed): TrainedModel {
  const started = performance.now();
  const o = { ...DEFAULT_LINEAR, ...options };
  const labels = train.labelSet;
  const K = labels.length;
  const vocab = buildVocab(train.texts);
  const tokenizerJson = buildTokenizerJson(vocab);
  const tokenizerConfig = buildTokenizerConfig();
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const xTrain = encodeTexts(tokenizer, train.texts);
  const xVal = encodeTexts(tokenizer, validation.texts);
  const shape: ModelShape = {
    vocabSize: vocab.length + 5,
    buckets: o.buckets,
    dim: K,
    hidden: 0,
    numLabels: K,
    bigramPrime: DEFAULT_BIGRAM_PRIME,
    poolPower: o.poolPower,
    attention: false,
  };
  // Compact the rows seen in training to columns 0..F-1; document frequency → smooth idf.
  const pooled = pooledRows(xTrain, shape);
  const column = new Map<number, number>();
  const df: number[] = [];
  for (const r of pooled.rows) {
    for (const row of r) {
      let f = column.get(row);
      if (f === undefined) column.set(row, (f = df.length)), df.push(0);
      df[f]!++;
    }
  }
  const F = df.length;
  const n = xTrain.length;
  const idf = Float64Array.from(df, (d) => Math.log((1 + n) / (1 + d)) + 1);
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  pooled.rows.forEach((r, i) => {
    r.forEach((row, k) => {
      const f = column.get(row)!;
      indices.push(f);
      values.push(pooled.coefs[i]![k]! * idf[f]!);
    });
    indptr[i + 1] = indices.length;
  });
  const X: Csr = { indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
  const fit = fitLogisticRegression(X, train.labelIds, K, F, { C: o.C, maxIterations: o.maxIterations });
  const iterations = fit.iterations;

  const weights = initWeights(shape, seed);
  weights.embedding.fill(0);
  for (const [row, f] of column) for (let k = 0; k < K; k++) weights.embedding[row * K + k] = idf[f]! * fit.weights[k * F + f]!;
  weights.w2.fill(0);
  for (let k = 0; k < K; k++) weights.w2[k * K + k] = 1;
  for (let k = 0; k < K; k++) weights.b2[k] = fit.bias[k]!;
  const metrics = computeMetrics(validation.labelIds, predictProbs(weights, xVal), labels);
  const params = { ...DEFAULT_TRAIN_PARAMS, seed, dim: K, buckets: o.buckets, poolPower: o.poolPower, epochs: iterations, keep: 'last' as const };
  const seconds = (performance.now() - started) / 1000;
  return {
    weights,
    labels,
    vocab,
    tokenizerJson,
    tokenizerConfig,
    params,
    history: [{ epoch: 1, loss: NaN, examplesPerSecond: 0, seconds, validation: metrics, best: true }],
    bestEpoch: 1,
    validation: metrics,
    uncalibratedEce: null,
    datasetSha256: train.sha256,
    datasetName: train.name,
    durationMs: performance.now() - started,
    parent: null,
    warmStartSource: null,
  };
}
