/**
 * `pnpm bench:own-data`: what a team gets on its own labelled file. For every train/test pair in the data
 * directory, in the same run: our trainer exactly as a user runs it (`pnpm train --data TRAIN --out DIR`: the
 * recipe search), TF-IDF 1–2-gram + logistic regression and fastText (bigrams, 25 epochs), each on the training
 * file alone, all scored on the test file. Prints accuracy, macro-F1 and training time; writes
 * bench-results/own-data.json (with each pair's search table).
 *
 *   tsx bench/own-data.ts [--pairs allocine,finance,…] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '@sentiment-edge/registry/node';
import { loadDataset } from '../src/data.ts';
import { computeMetrics, type Metrics } from '../src/metrics.ts';
import { DATA_DIR, REPO_ROOT } from '../src/paths.ts';
import { ensureFasttext, trainFasttext } from '../src/peers/fasttext.ts';
import { trainTfidfLr } from '../src/peers/tfidf-lr.ts';
import { loadPredictor } from '../src/predictor.ts';
import type { SelectionRecord } from '../src/selection.ts';

/** The eight train → test pairs of the issue (tweeteval: its test split trains, val tests; see the data README). */
export const OWN_DATA_PAIRS = [
  { name: 'allocine', train: 'allocine/train.csv', test: 'allocine/test.csv' },
  { name: 'finance', train: 'finance/train.csv', test: 'finance/test.csv' },
  { name: 'yelp', train: 'yelp/train.csv', test: 'yelp/test.csv' },
  { name: 'amazon food', train: 'amazon/food-train.csv', test: 'amazon/food-test.csv' },
  { name: 'alexa', train: 'amazon/alexa-train.csv', test: 'amazon/alexa-test.csv' },
  { name: 'airline', train: 'airline/train.csv', test: 'airline/test.csv' },
  { name: 'tweeteval test → val', train: 'tweeteval/test.csv', test: 'tweeteval/val.csv' },
  { name: 'sst2 train → validation', train: 'sst2/train.csv', test: 'sst2/validation.csv' },
] as const;

/** fastText as in the table: bigrams, 25 epochs (FASTTEXT_ARGS with -epoch 25; the later flag wins). */
const FASTTEXT_EPOCHS = ['-epoch', '25'];

interface Score {
  accuracy: number;
  macroF1: number;
  seconds: number;
}

const { values: v } = parseArgs({ options: { pairs: { type: 'string' }, out: { type: 'string' } } });
const wanted = v.pairs?.split(',').map((s) => s.trim());
const pairs = OWN_DATA_PAIRS.filter((p) => !wanted || wanted.some((w) => p.name.startsWith(w) || p.train.startsWith(w)));
if (pairs.length === 0) throw new Error(`--pairs ${v.pairs}: none of ${OWN_DATA_PAIRS.map((p) => p.name).join(', ')}`);
const log = (line: string) => console.error(line);
const score = (m: Metrics, seconds: number): Score => ({ accuracy: m.accuracy, macroF1: m.macroF1, seconds });
ensureFasttext(log);

const results: { pair: string; rows: number; ours: Score & { chosen: string }; tfidfLr: Score; fastText: Score; selection: SelectionRecord }[] = [];
for (const p of pairs) {
  const train = loadDataset(join(DATA_DIR, p.train));
  const test = loadDataset(join(DATA_DIR, p.test), { labels: train.labelSet });
  log(`${p.name}: ${train.texts.length} training rows, ${test.texts.length} test rows`);
  const dir = mkdtempSync(join(tmpdir(), 'own-data-'));
  const out = join(dir, 'model');
  const t0 = performance.now();
  const r = spawnSync('pnpm', ['exec', 'tsx', 'src/cli/train.ts', '--data', join(DATA_DIR, p.train), '--out', out], { cwd: join(REPO_ROOT, 'training'), stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`pnpm train --data ${p.train} failed (exit ${r.status})`);
  const oursSeconds = (performance.now() - t0) / 1000;
  const selection = (JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { selection: SelectionRecord }).selection;
  const predictor = await loadPredictor(out);
  const ours = computeMetrics(test.labelIds, (await predictor.probabilities(test.texts)) as Float32Array[], train.labelSet);
  await predictor.close();
  rmSync(dir, { recursive: true, force: true });

  const t1 = performance.now();
  const lr = trainTfidfLr(train.texts, train.labels);
  const lrSeconds = (performance.now() - t1) / 1000;
  const order = (labels: string[]) => train.labelSet.map((l) => labels.indexOf(l));
  const lrOrder = order(lr.labels);
  const lrM = computeMetrics(test.labelIds, lr.predict(test.texts).map((q) => Float32Array.from(lrOrder, (k) => q[k]!)), train.labelSet);

  const ft = trainFasttext(train.texts, train.labels, FASTTEXT_EPOCHS);
  const ftOrder = order(ft.labels);
  const ftM = computeMetrics(test.labelIds, ft.predict(test.texts).map((q) => Float32Array.from(ftOrder, (k) => q[k]!)), train.labelSet);
  const ftSeconds = ft.seconds;
  ft.dispose();

  results.push({ pair: p.name, rows: train.texts.length, ours: { ...score(ours, oursSeconds), chosen: selection.chosen }, tfidfLr: score(lrM, lrSeconds), fastText: score(ftM, ftSeconds), selection });
  const last = results.at(-1)!;
  log(`  ours (${last.ours.chosen}) ${ours.accuracy.toFixed(3)} / ${ours.macroF1.toFixed(3)} in ${oursSeconds.toFixed(1)} s; TF-IDF+LR ${lrM.accuracy.toFixed(3)} / ${lrM.macroF1.toFixed(3)}; fastText ${ftM.accuracy.toFixed(3)} / ${ftM.macroF1.toFixed(3)}`);
}

const f3 = (x: number) => x.toFixed(3);
const cell = (s: Score) => `${f3(s.accuracy)} / ${f3(s.macroF1)}`;
const rows = results.map((r) => {
  const better = Math.max(r.tfidfLr.macroF1, r.fastText.macroF1);
  const d = r.ours.macroF1 - better;
  return [r.pair, String(r.rows), cell(r.ours), r.ours.chosen, cell(r.tfidfLr), cell(r.fastText), `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pt`, `${r.ours.seconds.toFixed(0)} s / ${r.tfidfLr.seconds.toFixed(1)} s / ${r.fastText.seconds.toFixed(1)} s`];
});
const mean = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
const meanOurs = mean((r) => r.ours.macroF1);
const meanBetter = Math.max(mean((r) => r.tfidfLr.macroF1), mean((r) => r.fastText.macroF1));
rows.push(['mean macro-F1', '', f3(meanOurs), '', f3(mean((r) => r.tfidfLr.macroF1)), f3(mean((r) => r.fastText.macroF1)), `${meanOurs >= meanBetter ? '+' : ''}${(100 * (meanOurs - meanBetter)).toFixed(1)} pt`, '']);
const text = table(['own data (train → test)', 'rows', 'ours acc / macro-F1', 'ours: chosen', 'TF-IDF+LR', 'fastText', 'ours − better peer', 'training time (ours pnpm train wall / LR / fastText)'], rows);
const header = `own data: each system trained on the training file alone, scored on its test file; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`;
console.log(`\n${header}\n\n${text}`);
const outFile = v.out ? resolve(process.env.INIT_CWD ?? process.cwd(), v.out) : join(REPO_ROOT, 'bench-results', 'own-data.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, loadAverage: loadavg(), results, table: text }, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);
