/**
 * Recipe selection on the user's own data (`pnpm train --data …`): every candidate trains on the same training
 * rows and is scored on the same validation rows; the best validation macro-F1 wins. A linear baseline (the
 * project's TF-IDF + LR peer, peers/tfidf-lr.ts) is scored on the same split for the report.
 *
 * A candidate is one small object — a name, one line saying what it is, and a function from (training rows,
 * validation rows) to a trained model whose `validation` metrics are on those validation rows. Another recipe
 * (e.g. a different encoder) joins the search by adding one more entry to the list `ownDataCandidates` returns;
 * the search itself measures each candidate's time and keeps within the budget.
 */
import { computeMetrics, type Metrics } from './metrics.ts';
import { trainLinear } from './linear.ts';
import { trainTfidfLr } from './peers/tfidf-lr.ts';
import { presetFor } from './presets.ts';
import { trainModel, type TrainedModel, type TrainParams } from './train.ts';
import type { Dataset } from './data.ts';

export interface Candidate {
  name: string;
  /** One line: what the candidate is. */
  description: string;
  /** Trains on `train` only; the returned model's `validation` metrics must be on `validation`. */
  train(train: Dataset, validation: Dataset): TrainedModel;
  /** Runs whatever the budget (the linear model: the search never returns less than a linear model would). */
  always?: boolean;
}

/** One row of the search table. */
export interface CandidateResult {
  name: string;
  description: string;
  /** Validation figures (null when skipped or failed). */
  macroF1: number | null;
  accuracy: number | null;
  seconds: number;
  status: 'trained' | 'skipped: budget' | `failed: ${string}`;
}

export interface BaselineResult {
  name: string;
  macroF1: number;
  accuracy: number;
  seconds: number;
}

/** What metrics.json, training-meta.json and the model card record about the search. */
export interface SelectionRecord {
  chosen: string;
  /** Macro-F1 a later candidate must gain over an earlier one to be taken (see MIN_GAIN). */
  minGain: number;
  /** Whether the chosen recipe was trained again on every row (training + validation) for the exported model. */
  refitted: boolean;
  budgetSeconds: number;
  trainRows: number;
  validationRows: number;
  candidates: CandidateResult[];
  baseline: BaselineResult;
}

export interface Selection {
  model: TrainedModel;
  record: SelectionRecord;
}

export interface CandidateContext {
  rows: number;
  /** Whether the training rows are English (English-only priors — word vectors, AFINN/VADER — only then). */
  english: boolean;
  seed: number;
}

/** Epochs sized to the data: small sets get more passes (≈ 200k examples in all), between 5 and 30. */
export function sizedEpochs(rows: number): number {
  return Math.max(5, Math.min(30, Math.ceil(200_000 / Math.max(rows, 1))));
}

function bag(name: string, description: string, params: Partial<TrainParams>): Candidate {
  return { name, description, train: (train, validation) => trainModel({ train, validation, ...params }) };
}

/** The candidates for `pnpm train --data`, the likeliest and cheapest first (the budget cuts from the end). */
export function ownDataCandidates(ctx: CandidateContext): Candidate[] {
  const preset = presetFor(ctx.rows);
  const noPriors: Partial<TrainParams> = { lexicon: false, wordVectors: false, negationPrior: 0 };
  const linear = (C: number): Candidate => ({
    name: `linear C=${C}`,
    description: `unigram + hashed bigram linear model in the same graph, no priors, L-BFGS, L2 C=${C}`,
    train: (train, validation) => trainLinear(train, validation, { C }, ctx.seed),
    ...(C === 4 ? { always: true } : {}),
  });
  // English rows: today's preset (measured on English data, priors on) first, so that a tight budget or a large
  // file (SST-2: the linear model alone takes most of the budget) still gets it; otherwise the linear model first.
  const list: Candidate[] = ctx.english ? [bag('preset', `today's recipe for ${ctx.rows} rows (src/presets.ts), English priors on`, { ...preset, seed: ctx.seed }), linear(4)] : [linear(4)];
  list.push(bag('preset, no priors', "today's recipe without word vectors and lexicons", { ...preset, ...noPriors, seed: ctx.seed }));
  const epochs = sizedEpochs(ctx.rows);
  const sized: Partial<TrainParams> = { dim: 16, buckets: 262_144, hidden: 0, lr: 0.2, epochs, patience: 4, tokenDropout: 0.1, poolPower: 0.5, seed: ctx.seed };
  list.push(bag('sized bag', `embedding bag sized to the data: dim 16, ${epochs} epochs, lr 0.2, no priors`, { ...sized, ...noPriors }));
  if (ctx.english) list.push(bag('sized bag, priors', `the same with GloVe vectors and the AFINN/VADER prior`, { ...sized, lexicon: true, lexiconSource: 'both', wordVectors: true, wordVectorWords: 30_000 }));
  list.push(linear(16), linear(1));
  return list;
}

/** TF-IDF 1–2-gram + logistic regression (the peer of bench/peers.ts) trained on `train`, scored on `validation`. */
export function linearBaseline(train: Dataset, validation: Dataset): BaselineResult {
  const t0 = performance.now();
  const model = trainTfidfLr(train.texts, train.labels);
  // The peer orders its labels alphabetically; map its columns onto the dataset's label set.
  const order = train.labelSet.map((l) => model.labels.indexOf(l));
  const probs = model.predict(validation.texts).map((p) => Float32Array.from(order, (k) => (k < 0 ? 0 : p[k]!)));
  const m: Metrics = computeMetrics(validation.labelIds, probs, train.labelSet);
  return { name: 'TF-IDF 1–2-gram + logistic regression (C = 1)', macroF1: m.macroF1, accuracy: m.accuracy, seconds: (performance.now() - t0) / 1000 };
}

/**
 * A later candidate replaces the best so far only when its validation macro-F1 is higher by more than this: a
 * validation split of a few hundred rows has a standard error of ≈ 2 pt, and the earlier candidates are the
 * simpler ones (allocine: the sized bag beat the linear model by 0.7 pt on 300 validation rows and lost by 2.8 pt
 * on the test file).
 */
export const MIN_GAIN = 0.01;

/**
 * Trains the candidates in order until `budgetSeconds` is spent (a candidate is not started once the time used
 * reaches the budget; the first one and those marked `always` run anyway), and returns the best by validation macro-F1 (a later one must
 * gain more than MIN_GAIN). With `refitOn` (the whole file, when the validation rows were split from it) the
 * chosen candidate is trained once more on all of it, and the model keeps the validation figures of the search
 * (the refitted model has seen those rows). `log` gets one line per candidate as it finishes.
 */
export function selectRecipe(
  candidates: readonly Candidate[],
  train: Dataset,
  validation: Dataset,
  options: { budgetSeconds: number; log?: (line: string) => void; refitOn?: Dataset },
): Selection {
  const started = performance.now();
  const results: CandidateResult[] = [];
  let best: { model: TrainedModel; candidate: Candidate } | null = null;
  for (const c of candidates) {
    const used = (performance.now() - started) / 1000;
    if (best && used >= options.budgetSeconds && !c.always) {
      results.push({ name: c.name, description: c.description, macroF1: null, accuracy: null, seconds: 0, status: 'skipped: budget' });
      options.log?.(`${c.name}: skipped (budget of ${options.budgetSeconds} s used)`);
      continue;
    }
    const t0 = performance.now();
    try {
      const model = c.train(train, validation);
      const seconds = (performance.now() - t0) / 1000;
      results.push({ name: c.name, description: c.description, macroF1: model.validation.macroF1, accuracy: model.validation.accuracy, seconds, status: 'trained' });
      options.log?.(`${c.name}: validation macro-F1 ${model.validation.macroF1.toFixed(4)}, accuracy ${model.validation.accuracy.toFixed(4)}, ${seconds.toFixed(1)} s`);
      if (!best || model.validation.macroF1 > best.model.validation.macroF1 + MIN_GAIN) best = { model, candidate: c };
    } catch (e) {
      const seconds = (performance.now() - t0) / 1000;
      results.push({ name: c.name, description: c.description, macroF1: null, accuracy: null, seconds, status: `failed: ${(e as Error).message}` });
      options.log?.(`${c.name}: failed (${(e as Error).message})`);
    }
  }
  if (!best) throw new Error(`no candidate recipe trained: ${results.map((r) => `${r.name}: ${r.status}`).join('; ')}`);
  const baseline = linearBaseline(train, validation);
  options.log?.(`baseline ${baseline.name}: validation macro-F1 ${baseline.macroF1.toFixed(4)}, accuracy ${baseline.accuracy.toFixed(4)}, ${baseline.seconds.toFixed(1)} s`);
  let model = best.model;
  if (options.refitOn) {
    const t0 = performance.now();
    const refit = best.candidate.train(options.refitOn, validation);
    model = { ...refit, validation: best.model.validation, history: best.model.history, bestEpoch: best.model.bestEpoch, uncalibratedEce: best.model.uncalibratedEce };
    options.log?.(`${best.candidate.name}: trained again on all ${options.refitOn.texts.length} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return {
    model,
    record: {
      chosen: best.candidate.name,
      minGain: MIN_GAIN,
      refitted: options.refitOn !== undefined,
      budgetSeconds: options.budgetSeconds,
      trainRows: train.texts.length,
      validationRows: validation.texts.length,
      candidates: results,
      baseline,
    },
  };
}

/** The search table as Markdown rows (model card) — chosen row marked. */
export function selectionMarkdown(r: SelectionRecord): string {
  const f = (x: number | null) => (x === null ? '–' : x.toFixed(4));
  const rows = r.candidates.map((c) => `| ${c.name === r.chosen ? `**${c.name}** (chosen)` : c.name} | ${f(c.macroF1)} | ${f(c.accuracy)} | ${c.seconds.toFixed(1)} s | ${c.status} |`);
  return [
    `Candidates trained on ${r.trainRows} rows and scored on the same ${r.validationRows} validation rows (budget ${r.budgetSeconds} s); the best validation macro-F1 is kept (a later candidate must gain more than ${(100 * r.minGain).toFixed(1)} pt).${r.refitted ? ' The chosen recipe was then trained again on every row (training + validation); the validation figures are those of the search.' : ''}`,
    '',
    '| candidate | val macro-F1 | val accuracy | time | status |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows,
    `| linear baseline: ${r.baseline.name} | ${f(r.baseline.macroF1)} | ${f(r.baseline.accuracy)} | ${r.baseline.seconds.toFixed(1)} s | baseline |`,
  ].join('\n');
}
