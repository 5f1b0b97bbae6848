/**
 * Scores a model on the in-domain test sets and the evaluation-only sets (a stop-gap until the suite in
 * src/suite.ts lands): macro-F1 (3-way for 3-class sets with a 3-label model) and, for every set, its
 * polar rows scored on P(positive) vs P(negative); per-class recall; ECE; CheckList MFT failure rates.
 *   pnpm exec tsx bench/score-sets.ts MODEL_DIR [q8]
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { loadDataset } from '../src/data.ts';
import { computeMetrics } from '../src/metrics.ts';
import { DATA_DIR } from '../src/paths.ts';

export const SWEEP_SETS = [
  'sst2/validation.csv',
  'tweeteval/val.csv',
  'airline/test.csv',
  'finance/test.csv',
  'yelp/test.csv',
  'amazon/food-test.csv',
  'amazon/alexa-test.csv',
  'uci/amazon.csv',
  'uci/imdb.csv',
  'uci/yelp.csv',
  'sentiment140/test.csv',
];

type Probs = (texts: string[]) => Float32Array[] | Promise<Float32Array[]>;

/** Per set: [accuracy, macro-F1, recall of each class…, ECE] (polar = P(pos) vs P(neg) on the polar rows). */
export async function scoreSets(probs: Probs, labels: readonly string[], verbose = false): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const neg = labels.indexOf('negative');
  const pos = labels.indexOf('positive');
  for (const set of SWEEP_SETS) {
    const ds = loadDataset(`${DATA_DIR}/${set}`);
    const p = await probs(ds.texts);
    const threeWay = ds.labelSet.length === 3 && labels.length === 3;
    if (threeWay) {
      const m = computeMetrics(Int32Array.from(ds.labels, (l) => labels.indexOf(l)), p, labels);
      out[`${set} 3-way`] = [m.accuracy, m.macroF1, ...labels.map((l) => m.perClass[l]!.recall), m.ece];
    }
    const keep = ds.labels.map((l, i) => (l === 'neutral' ? -1 : i)).filter((i) => i >= 0);
    const gold = Int32Array.from(keep, (i) => (ds.labels[i] === 'positive' ? 1 : 0));
    const pp = keep.map((i) => {
      const a = p[i]![neg]!;
      const b = p[i]![pos]!;
      return Float32Array.of(a / (a + b), b / (a + b));
    });
    const m = computeMetrics(gold, pp, ['negative', 'positive']);
    out[`${set} polar`] = [m.accuracy, m.macroF1, m.perClass.negative!.recall, m.perClass.positive!.recall, m.ece];
    if (verbose && /yelp\/test|food-test/.test(set)) {
      // Drift with length: per-class recall on the shorter and the longer half (by characters).
      const lengths = keep.map((i) => ds.texts[i]!.length);
      const median = [...lengths].sort((a, b) => a - b)[lengths.length >> 1]!;
      for (const [name, pick] of [['short half', (n: number) => n < median], ['long half', (n: number) => n >= median]] as const) {
        const idx = lengths.map((n, j) => (pick(n) ? j : -1)).filter((j) => j >= 0);
        const mm = computeMetrics(Int32Array.from(idx, (j) => gold[j]!), idx.map((j) => pp[j]!), ['negative', 'positive']);
        out[`  ${set} ${name} (${name === 'short half' ? '<' : '≥'} ${median} chars)`] = [mm.accuracy, mm.macroF1, mm.perClass.negative!.recall, mm.perClass.positive!.recall, mm.ece];
      }
    }
  }
  const mft = loadDataset(`${DATA_DIR}/checklist/mft.csv`, { labels: ['negative', 'neutral', 'positive'] });
  const p = await probs(mft.texts);
  const tests = new Map<string, { n: number; fail: number }>();
  const polar = { n: 0, fail: 0 };
  const neutral = { n: 0, fail: 0 };
  const rows = parse(readFileSync(`${DATA_DIR}/checklist/mft.csv`), { columns: true }) as { test: string; label: string }[];
  rows.forEach((r, i) => {
    const pr = p[i]!;
    let fail: boolean;
    if (r.label === 'neutral') {
      if (labels.length !== 3) return;
      fail = labels[argmax(pr)] !== 'neutral';
      neutral.n++;
      if (fail) neutral.fail++;
    } else {
      fail = (pr[pos]! > pr[neg]! ? 'positive' : 'negative') !== r.label;
      polar.n++;
      if (fail) polar.fail++;
    }
    const t = tests.get(r.test) ?? { n: 0, fail: 0 };
    t.n++;
    if (fail) t.fail++;
    tests.set(r.test, t);
  });
  out['checklist MFT polar fail'] = [polar.fail / polar.n];
  if (neutral.n) out['checklist MFT neutral fail'] = [neutral.fail / neutral.n];
  if (verbose) for (const [t, v] of tests) out[`  mft: ${t}`] = [v.fail / v.n];
  return out;
}

function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[b]!) b = i;
  return b;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { loadPredictor } = await import('../src/predictor.ts');
  const dir = process.argv[2]!;
  const pred = await loadPredictor(dir, { dtype: process.argv[3] === 'q8' ? 'q8' : 'fp32', batchSize: 256 });
  const res = await scoreSets((t) => pred.probabilities(t), pred.labels, true);
  console.log(`set                                 acc / macro-F1 / recall per class (${pred.labels.join(', ')}; polar: neg, pos) / ECE`);
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(36)} ${v.map((x) => x.toFixed(3)).join('  ')}`);
  await pred.close();
}
