/**
 * pnpm bench: SST-2 (sst2/train.csv + mr/reviews.csv → sst2/validation.csv, fp32 and int8; and, for
 * comparison, sst2/train.csv alone, whose MR accuracy is reported as inflated: MR and SST-2 share reviews),
 * TweetEval (test.csv → val.csv); train time and model sizes; the SST-2 accuracy averaged over seeds 1–6.
 * Writes bench-results/training.json at the repository root and prints a markdown table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatDatasets, loadDataset, type Dataset } from '../src/data.ts';
import { evaluateModel } from '../src/evaluate.ts';
import { exportModel } from '../src/export/model-dir.ts';
import { dataFile, REPO_ROOT } from '../src/paths.ts';
import { presetFor } from '../src/presets.ts';
import { trainModel, type TrainParams } from '../src/train.ts';

interface Row {
  task: string;
  trainRows: number;
  trainSeconds: number;
  epochs: number;
  metrics: Record<string, number>;
  sizes: { fp32: number; int8: number };
  params: Partial<TrainParams>;
}

/**
 * The preset `pnpm train` picks for this training set; keep: 'last' and no early stopping, so the reported
 * validation figures are not selected on the validation set itself.
 */
function recipe(trainSet: Dataset): Partial<TrainParams> {
  return { ...presetFor(trainSet.texts.length), keep: 'last', patience: 1000 };
}

async function run(task: string, train: string[], validation: string, extra: Array<[string, string]> = []): Promise<Row> {
  const trainSet = concatDatasets(train.map((f) => loadDataset(dataFile(f))));
  const params = recipe(trainSet);
  const valSet = loadDataset(dataFile(validation), { labels: trainSet.labelSet });
  const model = trainModel({ train: trainSet, validation: valSet, ...params });
  const dir = mkdtempSync(join(tmpdir(), `bench-${task}-`));
  try {
    const { sizes } = exportModel(model, dir);
    const metrics: Record<string, number> = {};
    for (const dtype of ['fp32', 'q8'] as const) {
      const e = await evaluateModel(dir, dataFile(validation), { dtype });
      const k = dtype === 'fp32' ? '' : '_int8';
      metrics[`accuracy${k}`] = e.evaluation.accuracy;
      metrics[`macroF1${k}`] = e.evaluation.macroF1;
      metrics[`macroRecall${k}`] = e.evaluation.macroRecall;
      metrics[`ece${k}`] = e.evaluation.ece;
    }
    metrics.bestEpochAccuracy = Math.max(...model.history.map((h) => h.validation.accuracy));
    metrics.bestEpochMacroF1 = Math.max(...model.history.map((h) => h.validation.macroF1));
    for (const [name, file] of extra) {
      const e = await evaluateModel(dir, file.startsWith('/') ? file : dataFile(file));
      metrics[`${name}_accuracy`] = e.evaluation.accuracy;
      metrics[`${name}_macroF1`] = e.evaluation.macroF1;
    }
    return { task, trainRows: trainSet.texts.length, trainSeconds: model.durationMs / 1000, epochs: model.history.filter((h) => !h.averaged).length, metrics, sizes, params };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Transfer check: the positive/negative rows of tweeteval/val.csv (text unlike SST-2).
const tweetsPosNeg = join(mkdtempSync(join(tmpdir(), 'bench-tw-')), 'tweeteval-val-posneg.csv');
{
  const tw = loadDataset(dataFile('tweeteval/val.csv'));
  const cell = (t: string) => `"${t.replace(/"/g, '""')}"`;
  const rows = tw.texts.flatMap((t, i) => (tw.labels[i] === 'neutral' ? [] : [`${cell(t)},${tw.labels[i]}`]));
  writeFileSync(tweetsPosNeg, `text,label\n${rows.join('\n')}\n`);
}
// SST-2 train (mostly sub-phrases) + MR (full sentences, minus every snippet that contains an SST-2
// validation sentence), for comparison with the default. Its MR accuracy is not reportable (trained on MR).
const sst2mr = await run('sst2+mr', ['sst2/train.csv', 'mr/reviews.csv'], 'sst2/validation.csv', [['tweeteval_posneg_transfer', tweetsPosNeg]]);
// The default SST-2 model (what `pnpm dev` trains): SST-2 train alone.
const sst2 = await run('sst2', ['sst2/train.csv'], 'sst2/validation.csv', [
  ['mr_inflated', 'mr/reviews.csv'],
  ['tweeteval_posneg_transfer', tweetsPosNeg],
]);
const tweet = await run('tweeteval', ['tweeteval/test.csv'], 'tweeteval/val.csv');
const rows = [sst2mr, sst2, tweet];

// One seed moves SST-2 validation accuracy by ≈ ±0.6 pt: the default recipe's mean over seeds 1–6
// (trainer's own fp32 forward pass, last epoch; SEED_MEAN=0 skips it, ≈ 15 s per seed).
const seedMeanSeeds = process.env.SEED_MEAN === '0' ? [] : [1, 2, 3, 4, 5, 6];
const sst2Train = loadDataset(dataFile('sst2/train.csv'));
const sst2Val = loadDataset(dataFile('sst2/validation.csv'), { labels: sst2Train.labelSet });
const perSeed = seedMeanSeeds.map(
  (seed) => trainModel({ train: sst2Train, validation: sst2Val, ...recipe(sst2Train), seed }).validation.accuracy,
);
const sst2SeedMean = perSeed.length ? { seeds: seedMeanSeeds, accuracy: perSeed, mean: perSeed.reduce((a, b) => a + b, 0) / perSeed.length } : null;

const result = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  notes: [
    'Validation figures are for the last epoch (no checkpoint selection on the validation file); bestEpoch* show the optimistic best-epoch figures.',
    'sst2+mr: trained on sst2/train.csv + mr/reviews.csv, evaluated on sst2/validation.csv; MR accuracy is not reportable for it (trained on MR).',
    'sst2 (the default model pnpm dev trains): trained on sst2/train.csv alone. mr_inflated: MR shares reviews with SST-2 train, so its accuracy on MR is inflated.',
    'tweeteval_posneg_transfer: the SST-2 models on the positive/negative rows of tweeteval/val.csv (text unlike the training data).',
    'TweetEval: trained on tweeteval/test.csv (the train split is not available here), evaluated on tweeteval/val.csv.',
  ],
  results: rows,
  sst2SeedMean,
};
mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench-results', 'training.json'), `${JSON.stringify(result, null, 2)}\n`);

const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`
| task | train rows | train time | epochs | accuracy fp32 | accuracy int8 | macro-F1 | macro-recall | ECE | fp32 size | int8 size |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows
  .map(
    (r) =>
      `| ${r.task} | ${r.trainRows} | ${r.trainSeconds.toFixed(1)} s | ${r.epochs} | ${f(r.metrics.accuracy)} | ${f(r.metrics.accuracy_int8)} | ${f(r.metrics.macroF1)} (int8 ${f(r.metrics.macroF1_int8)}) | ${f(r.metrics.macroRecall)} | ${f(r.metrics.ece)} | ${mb(r.sizes.fp32)} | ${mb(r.sizes.int8)} |`,
  )
  .join('\n')}

SST-2-only model on MR (inflated, shared reviews): accuracy ${f(sst2.metrics.mr_inflated_accuracy)} (not reportable for sst2+mr: trained on MR)
TweetEval val positive/negative rows (transfer): sst2+mr accuracy ${f(sst2mr.metrics.tweeteval_posneg_transfer_accuracy)}, macro-F1 ${f(sst2mr.metrics.tweeteval_posneg_transfer_macroF1)}; sst2 accuracy ${f(sst2.metrics.tweeteval_posneg_transfer_accuracy)}, macro-F1 ${f(sst2.metrics.tweeteval_posneg_transfer_macroF1)}
${sst2SeedMean ? `SST-2 (sst2/train → sst2/validation) accuracy over seeds ${sst2SeedMean.seeds.join(',')}: mean ${f(sst2SeedMean.mean)} (${sst2SeedMean.accuracy.map((a) => a.toFixed(3)).join(' ')})\n` : ''}Best-epoch (selected on validation, optimistic): sst2+mr accuracy ${f(sst2mr.metrics.bestEpochAccuracy)}, sst2 accuracy ${f(sst2.metrics.bestEpochAccuracy)}, TweetEval macro-F1 ${f(tweet.metrics.bestEpochMacroF1)}
wrote bench-results/training.json`);
