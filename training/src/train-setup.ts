/** Training set-up: parameters, split, labels, vocabulary and tokenizer, initial weights and per-row weights. */
import { stratifiedSplit, type Dataset } from './data.ts';
import { identityPhraseRules, identityTies, withGroupVectors } from './identity.ts';
import { seedConvTable } from './conv.ts';
import { lexiconPrior } from './lexicon.ts';
import { cloneWeights, DEFAULT_BIGRAM_PRIME, initWeights, negatedRow, type ModelShape, type ModelWeights } from './model.ts';
import { createVectorFactor, type VectorFactor } from './word-vector-factor.ts';
import { loadWordVectors } from './word-vectors.ts';
import {
  buildTokenizerConfig,
  buildTokenizerJson,
  buildVocab,
  createTokenizer,
  encodeTexts,
  SEP_ID,
  SPECIAL_TOKENS,
  type TokenizerJson,
} from './tokenizer.ts';
import { DEFAULT_TRAIN_PARAMS, type TrainOptions, type TrainParams } from './train-params.ts';
import { CONTRAST_MARKERS, INTENSIFIERS, NEGATORS, REDUCERS, SCOPE_BREAKS } from './window-words.ts';

export interface TrainingSetup {
  params: TrainParams;
  labels: string[];
  vocab: string[];
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  xTrain: Int32Array[];
  yTrain: Int32Array;
  xVal: Int32Array[];
  yVal: Int32Array;
  /** Held-out split (only when no validation set was given). */
  testSet: Dataset | undefined;
  weights: ModelWeights;
  /** Rows whose lexicon dimension stays fixed. */
  frozen: Uint8Array;
  factor: VectorFactor | null;
  /** Per-row loss weight: class weight (`balanced`) × row weight × length weight. */
  lossWeight: Float64Array;
  /** With polarLoss: the rows whose loss is on negative vs positive only, and those two label indices. */
  polar: { rows: Uint8Array; negative: number; positive: number } | null;
}

function vocabFromTokenizer(json: TokenizerJson): string[] {
  const vocab = (json.model as { vocab: Record<string, number> }).vocab;
  // Tied words (identity.ts) share their group word's id: one word per id, the first written.
  const byId: string[] = [];
  for (const [w, id] of Object.entries(vocab)) byId[id] ??= w;
  return byId.slice(5);
}

/** The `n` most frequent plain lower-case words of a word-vector vocabulary. */
function commonWords(words: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (out.length >= n) break;
    if (/^[a-z]+$/.test(w)) out.push(w);
  }
  return out;
}

function resolveParams(options: TrainOptions): TrainParams {
  const params: TrainParams = { ...DEFAULT_TRAIN_PARAMS };
  for (const key of Object.keys(DEFAULT_TRAIN_PARAMS) as (keyof TrainParams)[]) {
    const v = options[key];
    if (v !== undefined) (params as unknown as Record<string, unknown>)[key] = v;
  }
  return params;
}

/** A new model's shape: sizes, the hand-written windows' token ids and the filters. */
function newShape(params: TrainParams, vocab: string[], numLabels: number): ModelShape {
  const shape: ModelShape = {
    vocabSize: vocab.length + 5,
    buckets: params.buckets,
    dim: params.dim,
    hidden: params.hidden,
    numLabels,
    bigramPrime: DEFAULT_BIGRAM_PRIME,
    poolPower: params.poolPower,
    attention: params.attention,
  };
  const ids = new Map([...SPECIAL_TOKENS, ...vocab].map((w, i) => [w, i]));
  const pick = (words: readonly string[]) => words.map((w) => ids.get(w)).filter((x): x is number => x !== undefined);
  if (params.negationScope > 0) {
    shape.negationScope = params.negationScope;
    shape.negators = pick(NEGATORS);
    shape.breaks = [...pick(SCOPE_BREAKS), SEP_ID];
  }
  if (params.contrastWindow > 0 && params.attention) {
    shape.contrastWindow = params.contrastWindow;
    shape.contrastMarkers = pick(CONTRAST_MARKERS);
  }
  if (params.intensityWindow > 0 && params.attention) {
    shape.intensityWindow = params.intensityWindow;
    shape.intensifiers = pick(INTENSIFIERS);
    shape.reducers = pick(REDUCERS);
  }
  if (params.encoder === 'cnn') {
    if (params.hidden > 0) throw new Error('encoder cnn: the filters join the pooled features before the output layer; use hidden 0');
    shape.conv = { width: params.convWidth, filters: params.convFilters, dim: params.convDim };
  }
  return shape;
}

/** Writes the lexicon prior into dimension 0 of lexicon words (and, with negationPrior, their negated rows). */
function writeLexiconPrior(weights: ModelWeights, prior: Map<string, number>, vocab: string[], params: TrainParams, frozen: Uint8Array): void {
  const shape = weights.shape;
  const D = shape.dim;
  const ids = new Map([...SPECIAL_TOKENS, ...vocab].map((w, i) => [w, i]));
  const negators = ['not', 'no', 'never'].map((w) => ids.get(w)).filter((x): x is number => x !== undefined);
  vocab.forEach((w, i) => {
    const v = prior.get(w);
    if (v === undefined) return;
    weights.embedding[(i + 5) * D] = v * params.lexiconScale;
    frozen[i + 5] = params.freezeLexicon ? 1 : 0;
    if (params.negationPrior) {
      for (const n of negators) {
        const row = shape.vocabSize + ((n * shape.bigramPrime + i + 5) % shape.buckets);
        weights.embedding[row * D] = -v * params.lexiconScale * params.negationPrior;
      }
      if (shape.negationScope) weights.embedding[negatedRow(i + 5, shape) * D] = -v * params.lexiconScale * params.negationPrior;
    }
  });
}

export function setUpTraining(options: TrainOptions): TrainingSetup {
  const params = resolveParams(options);
  let trainSet = options.train;
  let validationSet = options.validation;
  let testSet: Dataset | undefined;
  if (!validationSet) {
    const split = stratifiedSplit(trainSet, params.seed);
    trainSet = split.train;
    validationSet = split.validation;
    testSet = split.test;
  }
  if (options.rowWeights && (!options.validation || options.rowWeights.length !== options.train.texts.length)) {
    throw new Error(`rowWeights: needs one weight per training row (${options.train.texts.length}) and an explicit validation set`);
  }
  const warm = options.warmStart;
  const labels = warm ? warm.labels : trainSet.labelSet;
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const toIds = (ds: Dataset): Int32Array =>
    Int32Array.from(ds.labels, (l, i) => {
      const id = labelIndex.get(l);
      if (id === undefined) throw new Error(`${ds.name}: row ${i + 1}: label "${l}" is not one of the model's labels (${labels.join(', ')})`);
      return id;
    });
  const yTrain = toIds(trainSet);
  const yVal = toIds(validationSet);

  let vocab: string[];
  let tokenizerJson: TokenizerJson;
  const prior = params.lexicon ? lexiconPrior(params.lexiconSource) : null;
  const ties = params.tieIdentities && !warm ? identityTies() : new Map<string, string>();
  const wordVectors = params.wordVectors ? withGroupVectors(loadWordVectors(), ties) : null;
  if (warm) {
    tokenizerJson = warm.tokenizerJson;
    vocab = vocabFromTokenizer(tokenizerJson);
  } else {
    vocab = buildVocab(trainSet.texts, {
      minCount: params.minCount,
      maxSize: params.maxVocab,
      subwords: params.subwords,
      extraWords: [...(prior?.keys() ?? []), ...(wordVectors ? commonWords(wordVectors.words, params.wordVectorWords) : []), ...new Set(ties.values())],
    }).filter((w) => !ties.has(w));
    tokenizerJson = buildTokenizerJson(vocab, ties, params.tieIdentities ? identityPhraseRules() : []);
  }
  const tokenizerConfig = buildTokenizerConfig(params.maxLength);
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const xTrain = encodeTexts(tokenizer, trainSet.texts, params.maxLength);
  const xVal = encodeTexts(tokenizer, validationSet.texts, params.maxLength);

  let weights: ModelWeights;
  let frozen = new Uint8Array(0);
  if (warm) {
    weights = cloneWeights(warm.weights);
    params.dim = weights.shape.dim;
    params.buckets = weights.shape.buckets;
    params.hidden = weights.shape.hidden;
    params.poolPower = weights.shape.poolPower;
    params.attention = weights.shape.attention;
    params.encoder = weights.shape.conv ? 'cnn' : 'pooled';
    params.lexicon = false; // the parent's embedding already holds any prior
    params.negationPrior = 0;
  } else {
    const shape = newShape(params, vocab, labels.length);
    weights = initWeights(shape, params.seed);
    if (wordVectors) seedConvTable(weights, [...SPECIAL_TOKENS, ...vocab], wordVectors, params.seed);
    frozen = new Uint8Array(shape.vocabSize);
    if (prior) writeLexiconPrior(weights, prior, vocab, params, frozen);
  }
  // A new model's vector words start from vector·P alone (plus the lexicon prior in dimension 0); a
  // warm start keeps its rows as the free part.
  const factor: VectorFactor | null = wordVectors
    ? createVectorFactor(weights, [...SPECIAL_TOKENS, ...vocab], wordVectors, { skip: frozen, keepDims: warm ? weights.shape.dim : params.lexicon ? 1 : 0 })
    : null;

  const L = weights.shape.numLabels;
  const classWeight = new Float32Array(L).fill(1);
  if (params.balanced) {
    const counts = new Float64Array(L);
    for (const y of yTrain) counts[y]! += 1;
    for (let c = 0; c < L; c++) classWeight[c] = counts[c]! > 0 ? yTrain.length / (L * counts[c]!) : 0;
  }
  const exampleWeight = options.rowWeights ? options.rowWeights.slice() : new Float32Array(xTrain.length).fill(1);
  if (params.lengthWeight > 0) {
    let sum = 0;
    xTrain.forEach((ids, i) => {
      exampleWeight[i] = exampleWeight[i]! * Math.pow(Math.max(1, ids.length - 2), params.lengthWeight);
      sum += exampleWeight[i]!;
    });
    const mean = sum / Math.max(1, xTrain.length);
    for (let i = 0; i < exampleWeight.length; i++) exampleWeight[i] = exampleWeight[i]! / mean;
  }
  const lossWeight = Float64Array.from(exampleWeight, (w, i) => classWeight[yTrain[i]!]! * w);
  const polarRows = params.polarLoss ? (options.polarRows ?? null) : null;
  const negative = labels.indexOf('negative');
  const positive = labels.indexOf('positive');
  if (polarRows && (negative < 0 || positive < 0 || polarRows.length !== xTrain.length)) {
    throw new Error('polarLoss needs labels negative and positive and one polarRows flag per training row');
  }
  return {
    params, labels, vocab, tokenizerJson, tokenizerConfig, xTrain, yTrain, xVal, yVal, testSet, weights, frozen, factor, lossWeight,
    polar: polarRows ? { rows: polarRows, negative, positive } : null,
  };
}
