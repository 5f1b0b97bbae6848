/**
 * Hyper-parameter sweep used to choose src/presets.ts: each config overrides the preset `pnpm train` picks (3 seeds each; SEEDS=4,5,6 to change them,
 * EXTRA=mr/reviews.csv to add training files):
 *   pnpm exec tsx bench/sweep.ts sst2|tweet '[{...params}]'
 * sst2 reports best and last-epoch SST-2 validation accuracy and transfer to TweetEval's pos/neg rows.
 */
import { concatDatasets, loadDataset } from '../src/data.ts';
import { trainModel } from '../src/train.ts';
import { createTokenizer, encodeTexts } from '../src/tokenizer.ts';
import { predictProbs } from '../src/model.ts';
import { computeMetrics } from '../src/metrics.ts';
import { DATA_DIR } from '../src/paths.ts';
import { presetFor } from '../src/presets.ts';

const D = `${DATA_DIR}/`;
const which = process.argv[2]!;
const configs = JSON.parse(process.argv[3]!) as Record<string, unknown>[];
const seeds = (process.env.SEEDS ?? '1,2,3').split(',').map(Number);
const extra = (process.env.EXTRA ?? '').split(',').filter(Boolean);
if (which === 'sst2') {
  const train = concatDatasets([loadDataset(D + 'sst2/train.csv'), ...extra.map((f) => loadDataset(D + f))]);
  const val = loadDataset(D + 'sst2/validation.csv', { labels: train.labelSet });
  const tw = loadDataset(D + 'tweeteval/val.csv');
  const keep = tw.labels.map((l, i) => (l !== 'neutral' ? i : -1)).filter((i) => i >= 0);
  const twTexts = keep.map((i) => tw.texts[i]!);
  const twGold = keep.map((i) => (tw.labels[i] === 'positive' ? 1 : 0));
  for (const c of configs) {
    const accs: number[] = [], tws: number[] = [], times: number[] = [], last: number[] = [];
    for (const seed of seeds) {
      const m = trainModel({ train, validation: val, ...presetFor(train.texts.length), seed, ...c });
      const tok = createTokenizer(m.tokenizerJson, m.tokenizerConfig);
      accs.push(m.validation.accuracy);
      last.push(m.history.at(-1)!.validation.accuracy);
      tws.push(computeMetrics(twGold, predictProbs(m.weights, encodeTexts(tok, twTexts)), m.labels).accuracy);
      times.push(m.durationMs / 1000);
    }
    const mean = (a: number[]) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(4);
    console.log(JSON.stringify(c), 'best', mean(accs), 'last', mean(last), accs.map((a) => a.toFixed(3)).join(' '), 'tw', mean(tws), 't', mean(times));
  }
} else {
  const train = concatDatasets([loadDataset(D + 'tweeteval/test.csv'), ...extra.map((f) => loadDataset(D + f))]);
  const val = loadDataset(D + 'tweeteval/val.csv', { labels: train.labelSet });
  for (const c of configs) {
    const f1: number[] = [], rec: number[] = [], last: number[] = [];
    for (const seed of seeds) {
      const m = trainModel({ train, validation: val, ...presetFor(train.texts.length), seed, ...c });
      f1.push(m.validation.macroF1);
      rec.push(m.validation.macroRecall);
      last.push(m.history.at(-1)!.validation.macroF1);
    }
    const mean = (a: number[]) => (a.reduce((x, y) => x + y, 0) / a.length).toFixed(4);
    console.log(JSON.stringify(c), 'f1', mean(f1), 'lastf1', mean(last), 'rec', mean(rec));
  }
}
