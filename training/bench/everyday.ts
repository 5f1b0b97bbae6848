/**
 * Hand-written everyday sentences (bench/everyday-sentences.csv): 151 short sentences of the kind a new user
 * types first (a meal, a delivery, a timetable, "not bad at all"), 50/52/49 negative/neutral/positive, written
 * for this bench by the team — not from CheckList's templates or any training set — and never trained on. The
 * issue's target: three-way accuracy ≥ 0.92. Prints the score and every miss; writes
 * bench-results/everyday.json (one entry per model directory, merged with what is there).
 *   pnpm exec tsx bench/everyday.ts MODEL_DIR [fp32|q8]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { table } from '@sentiment-edge/registry/node';
import { loadDataset } from '../src/data.ts';
import { REPO_ROOT } from '../src/paths.ts';
import { loadPredictor } from '../src/predictor.ts';
import { classProbsMapper, scoreSet } from '../src/suite.ts';

const dir = process.argv[2];
const dtype = process.argv[3] ?? 'fp32';
if (!dir || (dtype !== 'fp32' && dtype !== 'q8')) throw new Error('usage: tsx bench/everyday.ts MODEL_DIR [fp32|q8]');

const ds = loadDataset(join(import.meta.dirname, 'everyday-sentences.csv'));
const predictor = await loadPredictor(dir, { dtype });
const toClass = classProbsMapper(predictor.labels);
let probs;
try {
  probs = (await predictor.probabilities(ds.texts)).map(toClass);
} finally {
  await predictor.close();
}
const threeWay = predictor.labels.includes('neutral');
const results = scoreSet({ id: 'everyday', evaluationOnly: true }, ds.labels, probs, threeWay);
const argmax = (p: (typeof probs)[number]) => (['negative', 'neutral', 'positive'] as const).reduce((a, b) => (p[b] > p[a] ? b : a));
const misses = ds.texts.flatMap((text, i) => (threeWay && argmax(probs[i]!) !== ds.labels[i] ? [{ text, gold: ds.labels[i]!, predicted: argmax(probs[i]!), p: probs[i]! }] : []));

console.log(table(['scoring', 'rows', 'accuracy', 'macro-F1'], results.map((r) => [r.scoring, String(r.rows), r.accuracy.toFixed(3), r.macroF1.toFixed(3)])));
if (misses.length) {
  console.log(`\n${misses.length} misses (3-way argmax):`);
  console.log(table(['text', 'gold', 'answer', 'neg / neu / pos'], misses.map((m) => [m.text, m.gold, m.predicted, [m.p.negative, m.p.neutral, m.p.positive].map((x) => x.toFixed(2)).join(' / ')])));
}

const out = join(REPO_ROOT, 'bench-results', 'everyday.json');
const runs = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs: Record<string, unknown> }).runs : {};
runs[resolve(dir)] = { dtype, measuredAt: new Date().toISOString(), results, misses: misses.map(({ text, gold, predicted }) => ({ text, gold, predicted })) };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ runs }, null, 2)}\n`);
console.log(`\nwritten: ${out}`);
