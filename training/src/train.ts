/** Training loop: per-example SGD (linear decay, fastText style) or AdaGrad with sparse embedding updates. */
import { computeMetrics, type Metrics } from './metrics.ts';
import { cloneWeights, createScratch, forwardOne, predictLogits, predictProbs, type ModelWeights } from './model.ts';
import { fitTemperature } from './calibration.ts';
import { createRng, shuffleInPlace } from './rng.ts';
import { refreshAll, refreshRow } from './word-vector-factor.ts';
import { backwardStep, createStepContext } from './train-step.ts';
import { setUpTraining, type TrainingSetup } from './train-setup.ts';
import type { EpochReport, TrainedModel, TrainOptions } from './train-params.ts';

export { DEFAULT_TRAIN_PARAMS } from './train-params.ts';
export type { Encoder, EpochReport, Optimizer, TrainedModel, TrainOptions, TrainParams, WarmStart } from './train-params.ts';

const WEIGHT_ARRAYS = ['embedding', 'w1', 'b1', 'w2', 'b2', 'importance', 'contrast', 'intensity', 'convTable', 'convW', 'convB'] as const;

function addInto(a: ModelWeights, b: ModelWeights): void {
  for (const k of WEIGHT_ARRAYS) {
    const x = a[k];
    const y = b[k];
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
  }
}

function scaleInto(a: ModelWeights, f: number): void {
  for (const k of WEIGHT_ARRAYS) {
    const x = a[k];
    for (let i = 0; i < x.length; i++) x[i] = x[i]! * f;
  }
}

/** The best-so-far weights by validation macro-F1. */
interface Best {
  weights: ModelWeights;
  score: number;
  epoch: number;
  metrics: Metrics | null;
}

/** Scores `weights` on the validation rows, keeps them when they beat `best`, and returns the epoch's report. */
function scoreEpoch(su: TrainingSetup, weights: ModelWeights, best: Best, report: Omit<EpochReport, 'validation' | 'best'>): EpochReport {
  const validation = computeMetrics(su.yVal, predictProbs(weights, su.xVal), su.labels);
  const improved = validation.macroF1 > best.score;
  if (improved) {
    best.score = validation.macroF1;
    best.epoch = report.epoch;
    best.weights = cloneWeights(weights);
    best.metrics = validation;
  }
  const { averaged, ...rest } = report;
  return { ...rest, validation, best: improved, ...(averaged !== undefined ? { averaged } : {}) };
}

/** Runs the epochs (shuffle, per-example step, validation, early stopping, weight average); returns the history. */
function runEpochs(su: TrainingSetup, options: TrainOptions, best: Best): { history: EpochReport[]; last: ModelWeights } {
  const { params, xTrain, yTrain, factor, lossWeight, polar } = su;
  let weights = su.weights;
  const L = weights.shape.numLabels;
  const ada = params.optimizer === 'adagrad';
  const ctx = createStepContext(weights, { adagrad: ada, frozen: su.frozen, factor, l2: params.l2, convLr: params.convLr, wordVectorLr: params.wordVectorLr });
  const { dlogits } = ctx;
  const rng = createRng(params.seed * 7919 + 1);
  const s = createScratch(weights.shape, params.maxLength);
  const order = Int32Array.from({ length: xTrain.length }, (_, i) => i);
  const totalSteps = params.epochs * xTrain.length;
  let stepCount = 0;
  const history: EpochReport[] = [];
  let sinceBest = 0;
  let dropped = new Int32Array(params.maxLength);
  let avgSum: ModelWeights | null = null;
  let avgCount = 0;

  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    const t0 = performance.now();
    shuffleInPlace(order, rng);
    let lossSum = 0;
    for (let k = 0; k < order.length; k++) {
      const idx = order[k]!;
      let ids = xTrain[idx]!;
      if (params.tokenDropout > 0 && ids.length > 3) {
        if (dropped.length < ids.length) dropped = new Int32Array(ids.length);
        let m = 0;
        dropped[m++] = ids[0]!;
        for (let i = 1; i < ids.length - 1; i++) if (rng() >= params.tokenDropout) dropped[m++] = ids[i]!;
        dropped[m++] = ids[ids.length - 1]!;
        ids = dropped.subarray(0, m);
      }
      const y = yTrain[idx]!;
      if (factor) for (let i = 0; i < ids.length; i++) refreshRow(factor, weights, ids[i]!);
      const n = forwardOne(weights, ids, s);
      const cw = lossWeight[idx]!;
      lossSum += -Math.log(Math.max(s.probs[y]!, 1e-12)) * cw;
      const lr = ada ? params.lr : params.lr * Math.max(0, 1 - stepCount / totalSteps);
      stepCount++;
      if (polar && polar.rows[idx] === 1) {
        // Softmax restricted to negative/positive: the neutral logit gets no gradient.
        const { negative: a, positive: b } = polar;
        const zp = s.probs[a]! + s.probs[b]!;
        for (let c = 0; c < L; c++) dlogits[c] = c === a || c === b ? (s.probs[c]! / zp - (c === y ? 1 : 0)) * cw : 0;
      } else for (let c = 0; c < L; c++) dlogits[c] = (s.probs[c]! - (c === y ? 1 : 0)) * cw;
      backwardStep(ctx, ids, s, n, lr);
      if (options.onProgress && ((k + 1) % 2000 === 0 || k + 1 === order.length)) {
        const secs = (performance.now() - t0) / 1000;
        options.onProgress({ epoch, done: k + 1, total: order.length, loss: lossSum / (k + 1), examplesPerSecond: (k + 1) / Math.max(secs, 1e-9) });
      }
    }
    if (factor) refreshAll(factor, weights);
    const seconds = (performance.now() - t0) / 1000;
    const report = scoreEpoch(su, weights, best, { epoch, loss: lossSum / order.length, examplesPerSecond: order.length / Math.max(seconds, 1e-9), seconds });
    sinceBest = report.best ? 0 : sinceBest + 1;
    history.push(report);
    options.onEpoch?.(report);
    if (params.averageLast > 0 && epoch > params.epochs - params.averageLast) {
      if (!avgSum) avgSum = cloneWeights(weights);
      else addInto(avgSum, weights);
      avgCount++;
    }
    if (sinceBest >= params.patience) break;
  }
  if (avgSum && avgCount > 0) {
    scaleInto(avgSum, 1 / avgCount);
    weights = avgSum;
    const report = scoreEpoch(su, weights, best, { epoch: history.length + 1, loss: NaN, examplesPerSecond: 0, seconds: 0, averaged: avgCount });
    history.push(report);
    options.onEpoch?.(report);
  }
  return { history, last: weights };
}

export function trainModel(options: TrainOptions): TrainedModel {
  const started = performance.now();
  const su = setUpTraining(options);
  const { params, labels, xVal, yVal } = su;
  const best: Best = { weights: cloneWeights(su.weights), score: -Infinity, epoch: 0, metrics: null };
  const { history, last: lastWeights } = runEpochs(su, options, best);

  // Finalize: the kept weights, optionally calibrated on the validation rows.
  const last = history.at(-1);
  const keepLast = params.keep === 'last' && last !== undefined;
  const kept = keepLast ? lastWeights : best.weights;
  let validationMetrics = keepLast ? last.validation : best.metrics!;
  let uncalibratedEce: number | null = null;
  if (params.calibrate) {
    kept.temperature = 1;
    kept.temperature = fitTemperature(predictLogits(kept, xVal), yVal);
    uncalibratedEce = validationMetrics.ece;
    validationMetrics = computeMetrics(yVal, predictProbs(kept, xVal), labels);
  }
  const warm = options.warmStart;
  return {
    weights: kept,
    uncalibratedEce,
    labels,
    vocab: su.vocab,
    tokenizerJson: su.tokenizerJson,
    tokenizerConfig: su.tokenizerConfig,
    params,
    history,
    bestEpoch: keepLast ? last.epoch : best.epoch,
    validation: validationMetrics,
    ...(su.testSet ? { test: su.testSet } : {}),
    datasetSha256: options.train.sha256,
    datasetName: options.train.name,
    durationMs: performance.now() - started,
    parent: warm ? warm.parent : null,
    warmStartSource: warm ? warm.source : null,
  };
}
