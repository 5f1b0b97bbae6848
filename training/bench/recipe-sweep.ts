/**
 * Sweep for the default 3-class recipe (src/recipe.ts + DEFAULT_RECIPE): each config overrides the recipe's
 * training params (and `sourcePower` / `classPower` / `classPower3` / `unknownRows` its weighting); seeds
 * from SEEDS (default 1,2). Scores each model with the evaluation suite (src/suite.ts: every test and
 * evaluation-only set, 3-class sets 3-way and on their polar rows, CheckList MFT / INV / DIR), predicting
 * in-process (the trainer's forward pass equals the graph's within 1e-7). PAIRS=N scores only the first N
 * pairs of each CheckList INV/DIR case (default: all, as `pnpm evaluate --suite`).
 *   pnpm exec tsx bench/recipe-sweep.ts '[{}, {"classPower": 1}]'
 */
import { predictProbs } from '../src/model.ts';
import { DATA_DIR } from '../src/paths.ts';
import { DEFAULT_RECIPE } from '../src/presets.ts';
import { loadRecipeData, type WeightingOptions } from '../src/recipe.ts';
import { runSuite, type SuiteResult } from '../src/suite.ts';
import { createTokenizer, encodeTexts } from '../src/tokenizer.ts';
import { trainModel, type TrainedModel } from '../src/train.ts';

const PROBES = [
  'asdf qwer zxcv',
  'The meeting is at 3pm.',
  'not bad at all',
  "The plot was thin, but the performances were wonderful and I'd happily watch it again.",
  "c'est nul, je déteste",
  'It never fails to make me smile.',
  'The food was good.',
  'The food was very good.',
  'The food was slightly good.',
  'The food was not good.',
  "This plane isn't rough.",
  'It was not an Italian airline.',
];
const configs = JSON.parse(process.argv[2] ?? '[{}]') as Record<string, unknown>[];
const seeds = (process.env.SEEDS ?? '1,2').split(',').map(Number);
const pairs = Number(process.env.PAIRS ?? 0);

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(3));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)} %`);

/** One line per suite entry and CheckList summary: macro-F1 (recall neg/[neu/]pos) per seed. */
function summaryLines(results: SuiteResult[]): string[] {
  const first = results[0]!;
  const lines = first.sets.map((s, i) => {
    const cells = results.map((r) => {
      const e = r.sets[i]!;
      return `${f3(e.macroF1)} (${Object.values(e.recall).map(f3).join(' ')})`;
    });
    return `  ${`${s.set} ${s.scoring}`.padEnd(26)} ${cells.join('  ')}`;
  });
  lines.push(`  ${'mean evaluation-only'.padEnd(26)} ${results.map((r) => f3(r.summary.evaluationOnlyMean.macroF1)).join('  ')}`);
  lines.push(`  ${'worst polar'.padEnd(26)} ${results.map((r) => `${r.summary.worst.set} ${f3(r.summary.worst.macroF1)}`).join('  ')}`);
  const cl = (name: string, get: (r: SuiteResult) => string) => lines.push(`  ${name.padEnd(26)} ${results.map(get).join('  ')}`);
  cl('CL polar MFT fail', (r) => pct(r.checklist?.polarMft.failureRate));
  cl('CL worst negation test', (r) => pct(Math.max(...Object.values(r.checklist?.negation ?? {}).filter((x): x is number => x !== null))));
  cl('CL neutral MFT fail', (r) => pct(r.checklist?.neutralMft?.failureRate));
  cl('CL INV fail (robustness)', (r) => pct(r.checklist?.invRobustness.failureRate));
  const test = (r: SuiteResult, name: string) => pct(r.checklist?.tests.find((t) => t.test === name)?.failureRate);
  cl('CL DIR intensifiers / reducers', (r) => `${test(r, 'intensifiers')} / ${test(r, 'reducers')}`);
  return lines;
}

for (const c of configs) {
  const { sourcePower, classPower, classPower3, unknownRows, ...params } = c as Partial<WeightingOptions> & Record<string, unknown>;
  const data = loadRecipeData(DATA_DIR, {
    ...(sourcePower !== undefined ? { sourcePower } : {}),
    ...(classPower !== undefined ? { classPower } : {}),
    ...(classPower3 !== undefined ? { classPower3 } : {}),
    ...(unknownRows !== undefined ? { unknownRows } : {}),
  });
  const results: SuiteResult[] = [];
  const times: number[] = [];
  for (const seed of seeds) {
    const m: TrainedModel = trainModel({ train: data.train, rowWeights: data.rowWeights, polarRows: data.polarRows, validation: data.heldOut, ...DEFAULT_RECIPE, seed, ...params });
    times.push(m.durationMs / 1000);
    const tok = createTokenizer(m.tokenizerJson, m.tokenizerConfig);
    const predict = (texts: readonly string[]) => predictProbs(m.weights, encodeTexts(tok, [...texts], m.params.maxLength));
    const probe = predict(PROBES);
    if (seed === seeds[0]) console.log(PROBES.map((t, i) => `  ${m.labels.map((l, k) => `${l.slice(0, 3)} ${probe[i]![k]!.toFixed(2)}`).join(' ')}  ${t}`).join('\n'));
    results.push(await runSuite({ labels: m.labels, predict: async (texts) => predict(texts) }, { dataDir: DATA_DIR, ...(pairs > 0 ? { checklistSample: { maxPairsPerCase: pairs } } : {}) }));
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(`\n${JSON.stringify(c)} seeds ${seeds.join(',')} train ${mean(times).toFixed(1)} s; macro-F1 (recall per class) per seed`);
  console.log(summaryLines(results).join('\n'));
}
