/**
 * pnpm bench: SST-2 (train.csv → validation.csv, fp32 and int8), MR accuracy of the SST-2 model
 * (inflated: MR and SST-2 share reviews), TweetEval (test.csv → val.csv); train time and model sizes.
 * Writes bench-results/training.json at the repository root and prints a markdown table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data.ts';
import { evaluateModel } from '../src/evaluate.ts';
import { exportModel } from '../src/export/model-dir.ts';
import { dataFile, REPO_ROOT } from '../src/paths.ts';
import { LARGE_DATA_PRESET, SMALL_DATA_PRESET } from '../src/presets.ts';
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

async function run(task: string, train: string, validation: string, params: Partial<TrainParams>, extra: Array<[string, string]> = []): Promise<Row> {
  const trainSet = loadDataset(dataFile(train));
  const valSet = loadDataset(dataFile(validation), { labels: trainSet.labelSet });
  // keep: 'last' → the reported validation figures are not selected on the validation set itself.
  const model = trainModel({ train: trainSet, validation: valSet, ...params, keep: 'last', patience: 1000 });
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
const sst2 = await run('sst2', 'sst2/train.csv', 'sst2/validation.csv', LARGE_DATA_PRESET, [
  ['mr_inflated', 'mr/reviews.csv'],
  ['tweeteval_posneg_transfer', tweetsPosNeg],
]);
const tweet = await run('tweeteval', 'tweeteval/test.csv', 'tweeteval/val.csv', SMALL_DATA_PRESET);

const result = {
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  notes: [
    'Validation figures are for the last epoch (no checkpoint selection on the validation file); bestEpoch* show the optimistic best-epoch figures.',
    'mr_inflated: MR shares reviews with SST-2 train, so the SST-2 model accuracy on MR is inflated.',
    'tweeteval_posneg_transfer: the SST-2 model on the positive/negative rows of tweeteval/val.csv (text unlike the training data).',
    'TweetEval: trained on tweeteval/test.csv (the train split is not available here), evaluated on tweeteval/val.csv.',
  ],
  results: [sst2, tweet],
};
mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
writeFileSync(join(REPO_ROOT, 'bench-results', 'training.json'), `${JSON.stringify(result, null, 2)}\n`);

const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`
| task | train rows | train time | epochs | accuracy fp32 | accuracy int8 | macro-F1 | macro-recall | ECE | fp32 size | int8 size |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${[sst2, tweet]
  .map(
    (r) =>
      `| ${r.task} | ${r.trainRows} | ${r.trainSeconds.toFixed(1)} s | ${r.epochs} | ${f(r.metrics.accuracy)} | ${f(r.metrics.accuracy_int8)} | ${f(r.metrics.macroF1)} (int8 ${f(r.metrics.macroF1_int8)}) | ${f(r.metrics.macroRecall)} | ${f(r.metrics.ece)} | ${mb(r.sizes.fp32)} | ${mb(r.sizes.int8)} |`,
  )
  .join('\n')}

SST-2 model on MR (inflated, shared reviews): accuracy ${f(sst2.metrics.mr_inflated_accuracy)}
SST-2 model on TweetEval val positive/negative rows (transfer): accuracy ${f(sst2.metrics.tweeteval_posneg_transfer_accuracy)}, macro-F1 ${f(sst2.metrics.tweeteval_posneg_transfer_macroF1)}
Best-epoch (selected on validation, optimistic): SST-2 accuracy ${f(sst2.metrics.bestEpochAccuracy)}, TweetEval macro-F1 ${f(tweet.metrics.bestEpochMacroF1)}
wrote bench-results/training.json`);
