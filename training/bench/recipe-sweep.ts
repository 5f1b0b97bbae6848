/**
 * Sweep for the default 3-class recipe (src/recipe.ts + DEFAULT_RECIPE): each config overrides the recipe's
 * training params (and `sourcePower` / `classPower` its weighting); seeds from SEEDS (default 1,2). Scores
 * in-process (the trainer's forward pass = the graph's) on the in-domain test sets and the evaluation-only
 * sets — 3-class sets 3-way, every set also on its polar rows (P(pos) vs P(neg)) — and CheckList MFT.
 *   pnpm exec tsx bench/recipe-sweep.ts '[{}, {"classPower": 1}]'
 */
import { predictProbs } from '../src/model.ts';
import { DATA_DIR } from '../src/paths.ts';
import { DEFAULT_RECIPE } from '../src/presets.ts';
import { loadRecipeData, type WeightingOptions } from '../src/recipe.ts';
import { createTokenizer, encodeTexts } from '../src/tokenizer.ts';
import { trainModel, type TrainedModel } from '../src/train.ts';
import { scoreSets } from './score-sets.ts';

const PROBES = [
  'asdf qwer zxcv',
  'The meeting is at 3pm.',
  'not bad at all',
  "The plot was thin, but the performances were wonderful and I'd happily watch it again.",
  "c'est nul, je déteste",
  'It never fails to make me smile.',
];
const configs = JSON.parse(process.argv[2] ?? '[{}]') as Record<string, unknown>[];
const seeds = (process.env.SEEDS ?? '1,2').split(',').map(Number);

for (const c of configs) {
  const { sourcePower, classPower, classPower3, unknownRows, ...params } = c as Partial<WeightingOptions> & Record<string, unknown>;
  const data = loadRecipeData(DATA_DIR, {
    ...(sourcePower !== undefined ? { sourcePower } : {}),
    ...(classPower !== undefined ? { classPower } : {}),
    ...(classPower3 !== undefined ? { classPower3 } : {}),
    ...(unknownRows !== undefined ? { unknownRows } : {}),
  });
  const rows: Record<string, number[]>[] = [];
  const times: number[] = [];
  for (const seed of seeds) {
    const m: TrainedModel = trainModel({ train: data.train, rowWeights: data.rowWeights, polarRows: data.polarRows, validation: data.heldOut, ...DEFAULT_RECIPE, seed, ...params });
    times.push(m.durationMs / 1000);
    const tok = createTokenizer(m.tokenizerJson, m.tokenizerConfig);
    const probe = predictProbs(m.weights, encodeTexts(tok, PROBES, m.params.maxLength));
    if (seed === seeds[0]) console.log(PROBES.map((t, i) => `  ${m.labels.map((l, c) => `${l.slice(0, 3)} ${probe[i]![c]!.toFixed(2)}`).join(' ')}  ${t}`).join('\n'));
    rows.push(await scoreSets((texts) => predictProbs(m.weights, encodeTexts(tok, texts, m.params.maxLength)), m.labels));
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const keys = Object.keys(rows[0]!);
  console.log(`\n${JSON.stringify(c)} seeds ${seeds.join(',')} train ${mean(times).toFixed(1)} s`);
  for (const k of keys) console.log(`  ${k.padEnd(34)} ${rows.map((r) => r[k]!.map((v) => v.toFixed(3)).join('/')).join('  ')}`);
}
