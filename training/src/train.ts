/** Training loop: per-example SGD (linear decay, fastText style) or AdaGrad with sparse embedding updates. */
import { stratifiedSplit, type Dataset } from './data.ts';
import { computeMetrics, type Metrics } from './metrics.ts';
import {
  cloneWeights,
  createScratch,
  DEFAULT_BIGRAM_PRIME,
  forwardOne,
  initWeights,
  negatedRow,
  predictLogits,
  predictProbs,
  type ModelShape,
  type ModelWeights,
} from './model.ts';
import { fitTemperature } from './calibration.ts';
import { identityPhraseRules, identityTies, withGroupVectors } from './identity.ts';
import { convStep, featureDim, seedConvTable } from './conv.ts';
import { createRng, shuffleInPlace } from './rng.ts';
import { lexiconPrior, type LexiconSource } from './lexicon.ts';
import { createVectorFactor, refreshAll, refreshRow, stepRow, type VectorFactor } from './word-vector-factor.ts';
import { loadWordVectors } from './word-vectors.ts';
import {
  buildTokenizerConfig,
  buildTokenizerJson,
  buildVocab,
  createTokenizer,
  DEFAULT_MAX_LENGTH,
  encodeTexts,
  SEP_ID,
  SPECIAL_TOKENS,
  type TokenizerJson,
} from './tokenizer.ts';

export type Optimizer = 'sgd' | 'adagrad';

export interface TrainParams {
  epochs: number;
  seed: number;
  dim: number;
  buckets: number;
  hidden: number;
  lr: number;
  optimizer: Optimizer;
  /** Minimum word count to enter the vocabulary. */
  minCount: number;
  /** Number of "##suffix" WordPiece pieces to add (0 = whole words only; > 0 also adds every character). */
  subwords: number;
  maxVocab: number;
  /** Early stopping: epochs without validation macro-F1 improvement. */
  patience: number;
  maxLength: number;
  /** Add lexicon words to the vocabulary and initialise one embedding dimension from their valence. */
  lexicon: boolean;
  /** Which lexicon(s) (AFINN-165, VADER or both). */
  lexiconSource: LexiconSource;
  /** Multiplier on the lexicon prior written into the embedding. */
  lexiconScale: number;
  /** Weight classes inversely to their frequency. */
  balanced: boolean;
  /** Probability of dropping each token during training (not at inference). */
  tokenDropout: number;
  l2: number;
  /** Pooling: sum / count^poolPower. */
  poolPower: number;
  /** Attention pooling (learned per-feature importance). */
  attention: boolean;
  /** Keep the lexicon dimension of lexicon words fixed during training (the prior cannot be eroded). */
  freezeLexicon: boolean;
  /** Initialise the bigrams "not|no|never + lexicon word" with the negated prior times this factor (0 = off). */
  negationPrior: number;
  /**
   * Weight averaging: average the weights at the end of the last `averageLast` epochs (0 = off). The
   * average is evaluated as one more row of the history (epoch = epochs + 1) and counts as the last model.
   */
  averageLast: number;
  /** Which weights to return: the epoch with the best validation macro-F1 (default) or the last one. */
  keep: 'best' | 'last';
  /**
   * Factorise word rows through pre-trained GloVe vectors (see word-vector-factor.ts): rare and unseen
   * words borrow strength from similar words. Costs ≈ 5 s to load the vectors.
   */
  wordVectors: boolean;
  /** With wordVectors: add this many of the most frequent GloVe words to the vocabulary (rows = vector·P). */
  wordVectorWords: number;
  /** With wordVectors: learning rate of the shared projection relative to lr. */
  wordVectorLr: number;
  /**
   * Fit a calibration temperature on the validation rows after training (the graph divides the logits by it;
   * see calibration.ts). Pass held-out training rows as `validation`, not a test file.
   */
  calibrate: boolean;
  /** Negation scope window in tokens (0 = off; see ModelShape.negationScope). */
  negationScope: number;
  /** Contrast window in tokens before "but", "however", … (0 = off; attention models; see ModelShape.contrastWindow). */
  contrastWindow: number;
  /** Intensity window in tokens after "very", "slightly", … (0 = off; attention models; see ModelShape.intensityWindow). */
  intensityWindow: number;
  /** Use `polarRows` (see TrainOptions). */
  polarLoss: boolean;
  /** Example weight ∝ (token count)^lengthWeight, normalised to mean 1 (0 = off): favours full sentences over sub-phrases. */
  lengthWeight: number;
  /**
   * `pooled`: the embedding bag alone. `cnn`: plus a 1-D convolution over per-token vectors (started from the
   * GloVe vectors when `wordVectors`), max-pooled, beside the pooled features (conv.ts; no hidden layer).
   */
  encoder: Encoder;
  /** cnn: number of filters, their width in tokens, and the size of each token's vector. */
  convFilters: number;
  convWidth: number;
  convDim: number;
  /**
   * cnn: learning rate of the filters, the token vectors and the filters' output weights, relative to lr. Its
   * 32 values in (−1, 1) move the logits far more per step than the 8 small pooled values (at 1 the first
   * default-recipe epoch ended at loss 1.6 instead of 0.96).
   */
  convLr: number;
  /**
   * Fairness by construction: every identity term of a group (identity.ts: nationalities, religions, races,
   * sexualities) shares one token id, so naming one group or another cannot change the answer.
   */
  tieIdentities: boolean;
}

export type Encoder = 'pooled' | 'cnn';

export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  epochs: 10,
  seed: 42,
  dim: 16,
  buckets: 1 << 17,
  hidden: 0,
  lr: 0.2,
  optimizer: 'sgd',
  minCount: 1,
  subwords: 0,
  maxVocab: 50000,
  patience: 3,
  maxLength: DEFAULT_MAX_LENGTH,
  lexicon: false,
  lexiconSource: 'both',
  lexiconScale: 1,
  balanced: false,
  tokenDropout: 0,
  l2: 0,
  poolPower: 1,
  attention: false,
  lengthWeight: 0,
  keep: 'best',
  averageLast: 0,
  freezeLexicon: false,
  negationPrior: 0,
  wordVectors: false,
  wordVectorWords: 0,
  wordVectorLr: 0.01,
  calibrate: false,
  polarLoss: false,
  negationScope: 0,
  contrastWindow: 0,
  intensityWindow: 0,
  encoder: 'pooled',
  convFilters: 32,
  convWidth: 3,
  convDim: 16,
  convLr: 0.1,
  tieIdentities: false,
};

/** Words that open a negation scope ("n't" is normalised to "not"). */
export const NEGATORS = ['not', 'no', 'never', 'nothing', 'nobody', 'none', 'neither', 'nor', 'without', 'hardly', 'barely', 'nowhere'];
/** Tokens that close one: punctuation and contrast words. */
export const SCOPE_BREAKS = ['.', ',', ';', ':', '!', '?', '(', ')', 'but', 'however', 'although', 'though', 'yet'];
/** Words whose preceding clause a contrast window marks (ModelShape.contrastMarkers). */
export const CONTRAST_MARKERS = ['but', 'however', 'yet', 'nevertheless', 'nonetheless'];
/** Words that strengthen the next word or two (ModelShape.intensifiers). */
export const INTENSIFIERS = ['very', 'really', 'so', 'extremely', 'incredibly', 'absolutely', 'totally', 'truly', 'highly', 'super', 'utterly', 'completely', 'especially', 'particularly', 'remarkably', 'exceptionally', 'seriously', 'insanely', 'ridiculously', 'most'];
/** Words that weaken the next word or two (ModelShape.reducers; "a bit" / "a little" by their second word). */
export const REDUCERS = ['slightly', 'somewhat', 'fairly', 'rather', 'mildly', 'moderately', 'kinda', 'sorta', 'bit', 'little', 'almost', 'reasonably', 'relatively', 'marginally', 'partly', 'partially', 'quite'];

export interface WarmStart {
  weights: ModelWeights;
  tokenizerJson: TokenizerJson;
  labels: string[];
  /** Where it came from, e.g. a directory or NAME@VERSION. */
  source: string;
  /** The registry version it is (recorded as training-meta parent), or null for a local directory. */
  parent: { name: string; version: number } | null;
}

export interface EpochReport {
  epoch: number;
  loss: number;
  examplesPerSecond: number;
  seconds: number;
  validation: Metrics;
  best: boolean;
  /** Set on the extra row for the weight average: how many epoch-end snapshots were averaged. */
  averaged?: number;
}

export interface TrainOptions extends Partial<TrainParams> {
  train: Dataset;
  /** When absent, a seeded stratified 70/15/15 split of `train` is used (train / validation / test). */
  validation?: Dataset;
  warmStart?: WarmStart;
  /**
   * Per-row loss weights for `train` (e.g. from recipe.ts: per source and per class within a source); multiplied
   * with the class weights of `balanced`. Needs an explicit `validation` (a split would reorder the rows).
   */
  rowWeights?: Float32Array;
  /**
   * Rows (1) whose source has only negative/positive labels: with `polarLoss` their loss is on
   * P(y) / (P(negative) + P(positive)), so they teach polarity but not "never neutral".
   */
  polarRows?: Uint8Array;
  /** Called every few thousand examples. */
  onProgress?: (info: { epoch: number; done: number; total: number; loss: number; examplesPerSecond: number }) => void;
  onEpoch?: (report: EpochReport) => void;
}

export interface TrainedModel {
  weights: ModelWeights;
  labels: string[];
  vocab: string[];
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  params: TrainParams;
  history: EpochReport[];
  bestEpoch: number;
  /** Metrics of the returned weights on the validation rows (calibrated when `calibrate`). */
  validation: Metrics;
  /** With `calibrate`: the validation ECE before the temperature was applied. */
  uncalibratedEce: number | null;
  /** Held-out split (only when no validation set was given). */
  test?: Dataset;
  datasetSha256: string;
  datasetName: string;
  durationMs: number;
  parent: { name: string; version: number } | null;
  warmStartSource: string | null;
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

export function trainModel(options: TrainOptions): TrainedModel {
  const started = performance.now();
  const params: TrainParams = { ...DEFAULT_TRAIN_PARAMS };
  for (const key of Object.keys(DEFAULT_TRAIN_PARAMS) as (keyof TrainParams)[]) {
    const v = options[key];
    if (v !== undefined) (params as unknown as Record<string, unknown>)[key] = v;
  }
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
    const shape: ModelShape = {
      vocabSize: vocab.length + 5,
      buckets: params.buckets,
      dim: params.dim,
      hidden: params.hidden,
      numLabels: labels.length,
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
    weights = initWeights(shape, params.seed);
    if (wordVectors) seedConvTable(weights, [...SPECIAL_TOKENS, ...vocab], wordVectors, params.seed);
    frozen = new Uint8Array(shape.vocabSize);
    if (prior) {
      const D = shape.dim;
      const negators = pick(['not', 'no', 'never']);
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
  }
  const shape = weights.shape;
  const D = shape.dim;
  // A new model's vector words start from vector·P alone (plus the lexicon prior in dimension 0); a
  // warm start keeps its rows as the free part.
  const factor: VectorFactor | null = wordVectors
    ? createVectorFactor(weights, [...SPECIAL_TOKENS, ...vocab], wordVectors, { skip: frozen, keepDims: warm ? D : params.lexicon ? 1 : 0 })
    : null;
  const H = shape.hidden;
  const L = shape.numLabels;
  const I = featureDim(shape);
  const inPooled = H || D;

  // Class weights.
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
  const polarRows = params.polarLoss ? (options.polarRows ?? null) : null;
  const polarA = labels.indexOf('negative');
  const polarB = labels.indexOf('positive');
  if (polarRows && (polarA < 0 || polarB < 0 || polarRows.length !== xTrain.length)) {
    throw new Error('polarLoss needs labels negative and positive and one polarRows flag per training row');
  }
  const rng = createRng(params.seed * 7919 + 1);
  const s = createScratch(shape, params.maxLength);
  const dlogits = new Float32Array(L);
  const dh = new Float32Array(I);
  const dz = new Float32Array(Math.max(H, 1));
  const dpooled = new Float32Array(D);
  const dRow = new Float32Array(D);
  const ada = params.optimizer === 'adagrad';
  const gE = ada ? new Float32Array(weights.embedding.length) : null;
  const gW1 = ada ? new Float32Array(weights.w1.length) : null;
  const gB1 = ada ? new Float32Array(weights.b1.length) : null;
  const gW2 = ada ? new Float32Array(weights.w2.length) : null;
  const gB2 = ada ? new Float32Array(weights.b2.length) : null;
  const gI = ada ? new Float32Array(weights.importance.length) : null;
  const eps = 1e-8;

  const order = Int32Array.from({ length: xTrain.length }, (_, i) => i);
  const totalSteps = params.epochs * xTrain.length;
  let step = 0;
  const history: EpochReport[] = [];
  let best: ModelWeights = cloneWeights(weights);
  let bestScore = -Infinity;
  let bestEpoch = 0;
  let bestMetrics: Metrics | null = null;
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
      const cw = classWeight[y]! * exampleWeight[idx]!;
      lossSum += -Math.log(Math.max(s.probs[y]!, 1e-12)) * cw;
      const lr = ada ? params.lr : params.lr * Math.max(0, 1 - step / totalSteps);
      step++;
      if (polarRows && polarRows[idx] === 1) {
        // Softmax restricted to negative/positive: the neutral logit gets no gradient.
        const zp = s.probs[polarA]! + s.probs[polarB]!;
        for (let c = 0; c < L; c++) dlogits[c] = c === polarA || c === polarB ? (s.probs[c]! / zp - (c === y ? 1 : 0)) * cw : 0;
      } else for (let c = 0; c < L; c++) dlogits[c] = (s.probs[c]! - (c === y ? 1 : 0)) * cw;
      // Output layer.
      const h = s.h;
      for (let i = 0; i < I; i++) {
        let acc = 0;
        const row = i * L;
        for (let c = 0; c < L; c++) acc += weights.w2[row + c]! * dlogits[c]!;
        dh[i] = acc;
      }
      for (let i = 0; i < I; i++) {
        const hv = h[i]!;
        if (hv === 0) continue;
        const row = i * L;
        const lrRow = i < inPooled ? lr : lr * params.convLr;
        for (let c = 0; c < L; c++) {
          const g = hv * dlogits[c]! + params.l2 * weights.w2[row + c]!;
          if (gW2) {
            gW2[row + c]! += g * g;
            weights.w2[row + c]! -= (lrRow * g) / (Math.sqrt(gW2[row + c]!) + eps);
          } else weights.w2[row + c]! -= lrRow * g;
        }
      }
      for (let c = 0; c < L; c++) {
        const g = dlogits[c]!;
        if (gB2) {
          gB2[c]! += g * g;
          weights.b2[c]! -= (lr * g) / (Math.sqrt(gB2[c]!) + eps);
        } else weights.b2[c]! -= lr * g;
      }
      // Hidden layer.
      if (H > 0) {
        for (let j = 0; j < H; j++) dz[j] = s.z[j]! > 0 ? dh[j]! : 0;
        for (let d = 0; d < D; d++) {
          let acc = 0;
          const row = d * H;
          for (let j = 0; j < H; j++) acc += weights.w1[row + j]! * dz[j]!;
          dpooled[d] = acc;
        }
        for (let d = 0; d < D; d++) {
          const p = s.pooled[d]!;
          const row = d * H;
          for (let j = 0; j < H; j++) {
            const g = p * dz[j]!;
            if (g === 0) continue;
            if (gW1) {
              gW1[row + j]! += g * g;
              weights.w1[row + j]! -= (lr * g) / (Math.sqrt(gW1[row + j]!) + eps);
            } else weights.w1[row + j]! -= lr * g;
          }
        }
        for (let j = 0; j < H; j++) {
          const g = dz[j]!;
          if (gB1) {
            gB1[j]! += g * g;
            weights.b1[j]! -= (lr * g) / (Math.sqrt(gB1[j]!) + eps);
          } else weights.b1[j]! -= lr * g;
        }
      } else {
        dpooled.set(dh.subarray(0, D));
      }
      if (shape.conv) convStep(weights, ids, s.conv, dh.subarray(D), lr * params.convLr);
      // Embedding rows (sparse) and, with attention, their importance logits.
      const E = weights.embedding;
      const att = shape.attention;
      const imp = weights.importance;
      const contrast = weights.contrast.length > 0;
      let gContrast = 0;
      const intensity = weights.intensity.length > 0;
      let gUp = 0;
      let gDown = 0;
      for (let f = 0; f < n; f++) {
        const row = s.feats[f]!;
        const off = row * D;
        const coef = s.coef[f]!;
        if (att) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += (E[off + d]! - s.pooled[d]!) * dpooled[d]!;
          const g = coef * dot;
          if (contrast && s.flags[f]) gContrast += g;
          if (intensity && s.iflags[f]) {
            if (s.iflags[f]! & 1) gUp += g;
            if (s.iflags[f]! & 2) gDown += g;
          }
          if (gI) {
            gI[row]! += g * g;
            imp[row]! -= (lr * g) / (Math.sqrt(gI[row]!) + eps);
          } else imp[row]! -= lr * g;
        }
        for (let d = 0; d < D; d++) dRow[d] = dpooled[d]! * coef;
        if (factor && stepRow(factor, row, dRow, lr, lr * params.wordVectorLr)) continue;
        const d0 = row < frozen.length && frozen[row] === 1 ? 1 : 0;
        for (let d = d0; d < D; d++) {
          const g = dRow[d]!;
          if (gE) {
            gE[off + d]! += g * g;
            E[off + d]! -= (lr * g) / (Math.sqrt(gE[off + d]!) + eps);
          } else E[off + d]! -= lr * g;
        }
      }
      if (contrast) weights.contrast[0]! -= lr * gContrast;
      if (intensity) {
        weights.intensity[0]! -= lr * gUp;
        weights.intensity[1]! -= lr * gDown;
      }
      if (options.onProgress && ((k + 1) % 2000 === 0 || k + 1 === order.length)) {
        const secs = (performance.now() - t0) / 1000;
        options.onProgress({ epoch, done: k + 1, total: order.length, loss: lossSum / (k + 1), examplesPerSecond: (k + 1) / Math.max(secs, 1e-9) });
      }
    }
    if (factor) refreshAll(factor, weights);
    const seconds = (performance.now() - t0) / 1000;
    const validation = computeMetrics(yVal, predictProbs(weights, xVal), labels);
    const improved = validation.macroF1 > bestScore;
    if (improved) {
      bestScore = validation.macroF1;
      bestEpoch = epoch;
      best = cloneWeights(weights);
      bestMetrics = validation;
      sinceBest = 0;
    } else sinceBest++;
    const report: EpochReport = {
      epoch,
      loss: lossSum / order.length,
      examplesPerSecond: order.length / Math.max(seconds, 1e-9),
      seconds,
      validation,
      best: improved,
    };
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
    const validation = computeMetrics(yVal, predictProbs(weights, xVal), labels);
    const improved = validation.macroF1 > bestScore;
    const report: EpochReport = { epoch: history.length + 1, loss: NaN, examplesPerSecond: 0, seconds: 0, validation, best: improved, averaged: avgCount };
    if (improved) {
      bestScore = validation.macroF1;
      bestEpoch = report.epoch;
      best = cloneWeights(weights);
      bestMetrics = validation;
    }
    history.push(report);
    options.onEpoch?.(report);
  }

  const last = history.at(-1);
  const keepLast = params.keep === 'last' && last !== undefined;
  const kept = keepLast ? weights : best;
  let validationMetrics = keepLast ? last.validation : bestMetrics!;
  let uncalibratedEce: number | null = null;
  if (params.calibrate) {
    kept.temperature = 1;
    kept.temperature = fitTemperature(predictLogits(kept, xVal), yVal);
    uncalibratedEce = validationMetrics.ece;
    validationMetrics = computeMetrics(yVal, predictProbs(kept, xVal), labels);
  }
  return {
    weights: kept,
    uncalibratedEce,
    labels,
    vocab,
    tokenizerJson,
    tokenizerConfig,
    params,
    history,
    bestEpoch: keepLast ? last.epoch : bestEpoch,
    validation: validationMetrics,
    ...(testSet ? { test: testSet } : {}),
    datasetSha256: options.train.sha256,
    datasetName: options.train.name,
    durationMs: performance.now() - started,
    parent: warm ? warm.parent : null,
    warmStartSource: warm ? warm.source : null,
  };
}
