/** What trainModel takes and returns: the parameters with their defaults, the options and the trained model. */
import type { Dataset } from './data.ts';
import type { LexiconSource } from './lexicon.ts';
import type { Metrics } from './metrics.ts';
import type { ModelWeights } from './model.ts';
import { DEFAULT_MAX_LENGTH, type TokenizerJson } from './tokenizer.ts';

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

