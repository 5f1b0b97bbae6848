/**
 * Does the model drift as texts get longer? The review test sets split at their median length (characters),
 * each half scored with the suite's own scoring (src/suite.ts scoreSet: polar rows, P(positive) vs
 * P(negative)), through ONNX Runtime. The whole sets are in `pnpm evaluate --suite`.
 *   pnpm exec tsx bench/length-halves.ts MODEL_DIR [fp32|q8]
 */
import { join } from 'node:path';
import { table } from '@sentiment-edge/registry/node';
import { loadDataset } from '../src/data.ts';
import { DATA_DIR } from '../src/paths.ts';
import { loadPredictor } from '../src/predictor.ts';
import { classProbsMapper, scoreSet } from '../src/suite.ts';

const SETS = ['yelp/test', 'amazon/food-test', 'amazon/alexa-test'];
const dir = process.argv[2];
const dtype = process.argv[3] ?? 'fp32';
if (!dir || (dtype !== 'fp32' && dtype !== 'q8')) throw new Error('usage: tsx bench/length-halves.ts MODEL_DIR [fp32|q8]');

const predictor = await loadPredictor(dir, { dtype, batchSize: 256 });
const toClass = classProbsMapper(predictor.labels);
const rows: string[][] = [];
try {
  for (const id of SETS) {
    const ds = loadDataset(join(DATA_DIR, `${id}.csv`));
    const probs = (await predictor.probabilities(ds.texts)).map(toClass);
    const median = [...ds.texts.map((t) => t.length)].sort((a, b) => a - b)[ds.texts.length >> 1]!;
    for (const [half, keep] of [[`< ${median} chars`, (n: number) => n < median], [`≥ ${median} chars`, (n: number) => n >= median]] as const) {
      const idx = ds.texts.flatMap((t, i) => (keep(t.length) ? [i] : []));
      const polar = scoreSet({ id, evaluationOnly: false }, idx.map((i) => ds.labels[i]!), idx.map((i) => probs[i]!), false).find((e) => e.scoring === 'polar')!;
      rows.push([id, half, String(polar.rows), polar.accuracy.toFixed(3), polar.macroF1.toFixed(3), polar.recall.negative!.toFixed(3), polar.recall.positive!.toFixed(3)]);
    }
  }
} finally {
  await predictor.close();
}
console.log(table(['set', 'half', 'polar rows', 'accuracy', 'macro-F1', 'recall neg', 'recall pos'], rows));
