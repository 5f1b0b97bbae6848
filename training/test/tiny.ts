/** Builds a small real model directory in a few seconds (for tests in this and other packages). */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { datasetFromRows, loadDataset, subsetDataset, type Dataset } from '../src/data.ts';
import { exportModel, type ExportResult } from '../src/export/model-dir.ts';
import { dataFile } from '../src/paths.ts';
import { DEFAULT_SOURCES } from '../src/recipe.ts';
import { trainModel, type TrainedModel, type TrainParams } from '../src/train.ts';

export interface TinyModelOptions extends Partial<TrainParams> {
  /** Training rows (default: the first `rows` of sst2/train.csv, or a built-in list when that file is absent). */
  train?: Dataset;
  validation?: Dataset;
  rows?: number;
}

const FALLBACK: Array<[string, string]> = [
  ['a wonderful , moving film', 'positive'],
  ['great acting and a lovely story', 'positive'],
  ['i loved it', 'positive'],
  ['funny , warm and smart', 'positive'],
  ['the best movie of the year', 'positive'],
  ['good fun', 'positive'],
  ['a boring , tedious mess', 'negative'],
  ['terrible acting and a dull plot', 'negative'],
  ['i hated it', 'negative'],
  ['not good at all', 'negative'],
  ['the worst film of the year', 'negative'],
  ['bad and stupid', 'negative'],
];

function fallbackDataset(): Dataset {
  const labelSet = ['negative', 'positive'];
  return datasetFromRows('built-in', Array.from({ length: 10 }, () => FALLBACK).flat(), labelSet);
}

/**
 * Trains a small model (default 3,000 SST-2 rows, 5 epochs, 16k buckets, AFINN prior) without exporting. Its
 * graph has what the default model's has — negation scope, a calibration temperature (fitted on the
 * validation rows) and the token_scores output — so every runtime that tests with it runs those ops too.
 */
export function trainTinyModel(options: TinyModelOptions = {}): TrainedModel {
  const { train, validation, rows = 3000, ...params } = options;
  let trainSet = train;
  let validationSet = validation;
  if (!trainSet) {
    const path = dataFile('sst2/train.csv');
    if (existsSync(path)) {
      const full = loadDataset(path);
      trainSet = subsetDataset(full, Array.from({ length: Math.min(rows, full.texts.length) }, (_, i) => i), `first${rows}`);
      trainSet.sha256 = full.sha256;
      const valPath = dataFile('sst2/validation.csv');
      if (!validationSet && existsSync(valPath)) validationSet = loadDataset(valPath, { labels: full.labelSet });
    } else {
      trainSet = fallbackDataset();
      validationSet ??= trainSet;
    }
  }
  return trainModel({
    train: trainSet,
    ...(validationSet ? { validation: validationSet } : {}),
    epochs: 5,
    buckets: 1 << 14,
    dim: 8,
    lr: 0.3,
    lexicon: true,
    negationScope: 3,
    calibrate: true,
    ...params,
  });
}

/** Trains a small model and writes it to `dir` in Hugging Face layout. */
export function buildTinyModel(dir: string, options: TinyModelOptions = {}): ExportResult & { model: TrainedModel } {
  const model = trainTinyModel(options);
  return { ...exportModel(model, dir, { modelName: 'tiny sentiment-edge test model' }), model };
}

/** A data directory with every default source, small: `n` rows per label. */
export function writeTinyDataDir(n = 40): string {
  const dir = mkdtempSync(join(tmpdir(), 'recipe-data-'));
  const words: Record<string, string[]> = {
    positive: ['great', 'wonderful', 'lovely', 'superb', 'fun'],
    negative: ['awful', 'boring', 'dull', 'bad', 'weak'],
    neutral: ['scheduled', 'located', 'announced', 'listed', 'reported'],
  };
  for (const src of DEFAULT_SOURCES) {
    const threeWay = /tweeteval|airline|finance|goemotions/.test(src.file);
    // The review sets are mostly positive, as the real ones are.
    const counts: Record<string, number> = threeWay ? { negative: n, neutral: n, positive: n } : /yelp|amazon/.test(src.file) ? { negative: n / 4, positive: n * 2 } : { negative: n, positive: n };
    const rows = Object.entries(counts).flatMap(([label, k]) =>
      Array.from({ length: k }, (_, i) => `"${src.file} ${words[label]![i % 5]} item ${i}",${label}`),
    );
    mkdirSync(dirname(join(dir, src.file)), { recursive: true });
    writeFileSync(join(dir, src.file), `text,label\n${rows.join('\n')}\n`);
  }
  return dir;
}

