/**
 * Peers in the same run: fastText (Debian's `fasttext`, -wordNgrams 2 -dim 50 -epoch 10; installed with
 * apt-get if missing) and TF-IDF 1–2-gram + logistic regression, trained on the same training files as our
 * model and scored with the same suite (src/suite.ts), printed beside our model with training time and
 * model size. Writes bench-results/peers.json (one entry per run name, merged with what is there).
 *
 *   tsx bench/peers.ts --train-default                 train our default model as `pnpm train --out DIR` (no --data) and `pnpm dev` do, then the peers on its data
 *   tsx bench/peers.ts --model DIR                     our model from DIR; peers on its training-meta.json datasetFiles
 *   tsx bench/peers.ts --data sst2/train.csv …         peers only, on these files (relative to the data directory or the cwd)
 *   [--name NAME] [--dtype fp32|q8|fp32,q8] [--out FILE]
 *
 * Rows: when our model is the default recipe (its training-meta.json datasetSha256 is that of
 * loadRecipeData's training rows), the peers train on exactly those rows: every training set without the
 * ≈ 5 % held-out rows our model validates and calibrates on, plus the recipe's made-up-word neutral rows;
 * unweighted (fastText has no row weights; the TF-IDF+LR baseline is the plain scikit-learn recipe).
 * Otherwise they train on the full datasetFiles (or --data files).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '@sentiment-edge/registry/node';
import { concatDatasets, loadDataset, type Dataset } from '../src/data.ts';
import { runModelSuite } from '../src/model-suite.ts';
import { DATA_DIR, REPO_ROOT } from '../src/paths.ts';
import { ensureFasttext, FASTTEXT_ARGS, trainFasttext } from '../src/peers/fasttext.ts';
import { trainTfidfLr } from '../src/peers/tfidf-lr.ts';
import { loadRecipeData } from '../src/recipe.ts';
import { runSuite, SUITE_SETS, type SuiteResult } from '../src/suite.ts';
import { suiteMarkdown } from '../src/suite-table.ts';

/**
 * How `pnpm dev` trains the default model (scripts/dev.mjs runs `pnpm train --out DIR`): no --data, so
 * the default recipe (src/recipe.ts, presets.ts DEFAULT_RECIPE). Keep the two in step.
 */
const DEFAULT_TRAIN_ARGS: string[] = [];

interface Entry {
  model: string;
  trainSeconds: number;
  bytes: number;
  sizeNote: string;
  suite: SuiteResult;
}

const { values: v } = parseArgs({
  options: {
    model: { type: 'string' },
    'train-default': { type: 'boolean' },
    data: { type: 'string', multiple: true },
    name: { type: 'string' },
    dtype: { type: 'string', default: 'fp32' },
    out: { type: 'string' },
  },
});
const cwd = process.env.INIT_CWD ?? process.cwd();
const dtypes = v.dtype!.split(',');
if (dtypes.length === 0 || dtypes.some((d) => d !== 'fp32' && d !== 'q8')) throw new Error(`--dtype must be fp32, q8 or fp32,q8, got ${v.dtype}`);

/** A training file: as given (relative to the cwd) if it exists, else relative to the data directory. */
function dataPath(p: string): string {
  const here = resolve(cwd, p);
  if (existsSync(here)) return here;
  const inData = resolve(DATA_DIR, p);
  if (existsSync(inData)) return inData;
  throw new Error(`training file ${p} not found (looked in ${cwd} and ${DATA_DIR})`);
}

/** Refuses evaluation files: every suite set and CheckList. */
function assertTrainingFile(path: string): void {
  const rel = relative(DATA_DIR, path).split('\\').join('/');
  if (rel.startsWith('checklist/') || SUITE_SETS.some((s) => `${s.id}.csv` === rel)) {
    throw new Error(`${rel} is an evaluation file of the suite: the peers never train on it`);
  }
}

const log = (line: string) => console.error(line);
const entriesOurs: Entry[] = [];
let oursDir = v.model ? resolve(cwd, v.model) : null;
let tmpModel: string | null = null;
/** Wall clock of `pnpm train` (read, tokenize, load vectors, train, export) when this run trained our model. */
let trainWallSeconds: number | null = null;
if (v['train-default']) {
  tmpModel = mkdtempSync(join(tmpdir(), 'peers-ours-'));
  oursDir = tmpModel;
  log(`training our default model: pnpm train ${[...DEFAULT_TRAIN_ARGS, '--out', tmpModel].join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync('pnpm', ['exec', 'tsx', 'src/cli/train.ts', ...DEFAULT_TRAIN_ARGS, '--out', tmpModel], { cwd: join(REPO_ROOT, 'training'), stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`training our model failed (exit ${r.status})`);
  trainWallSeconds = (performance.now() - t0) / 1000;
  log(`  pnpm train: ${trainWallSeconds.toFixed(1)} s wall clock`);
}

let files: string[];
/** The peers' training rows: the recipe's own training rows when our model is the default recipe, else the files. */
let train: Dataset;
let rowsNote: string;
if (v.data?.length) files = v.data.map(dataPath);
else if (oursDir) {
  const meta = JSON.parse(readFileSync(join(oursDir, 'training-meta.json'), 'utf8')) as { datasetFiles?: string[]; dataset: string };
  if (!meta.datasetFiles) throw new Error(`${oursDir}/training-meta.json has no datasetFiles (dataset "${meta.dataset}"): pass the training files with --data`);
  files = meta.datasetFiles.map(dataPath);
} else throw new Error('pass --model DIR, --train-default or --data FILE …');
files.forEach(assertTrainingFile);
const runName = v.name ?? (oursDir && v['train-default'] ? 'default-recipe' : files.map((f) => relative(DATA_DIR, f).replace(/\.csv$/, '')).join('+'));

const oursMeta = oursDir && !v.data?.length ? (JSON.parse(readFileSync(join(oursDir, 'training-meta.json'), 'utf8')) as { durationMs: number; datasetSha256: string }) : null;
const recipeRows = oursMeta ? loadRecipeData(DATA_DIR) : null;
if (recipeRows && recipeRows.train.sha256 === oursMeta!.datasetSha256) {
  train = recipeRows.train;
  const held = recipeRows.sources.reduce((a, s) => a + s.heldOut, 0);
  rowsNote = `the default recipe's training rows (${files.length} training sets without the ${held} held-out rows our model validates and calibrates on, plus ${recipeRows.sources.filter((s) => s.generated).reduce((a, s) => a + s.train, 0)} made-up-word neutral rows), unweighted`;
} else {
  train = concatDatasets(files.map((f) => loadDataset(f)));
  rowsNote = `the full training files${oursDir ? ' (our model may have held some rows out)' : ''}`;
}
log(`peers train on ${files.map((f) => relative(DATA_DIR, f)).join(', ')}: ${rowsNote}: ${train.texts.length} rows, labels ${train.labelSet.join(', ')}`);

if (oursDir) {
  const meta = JSON.parse(readFileSync(join(oursDir, 'training-meta.json'), 'utf8')) as { durationMs: number };
  for (const dtype of dtypes as ('fp32' | 'q8')[]) {
    log(`scoring our model (${dtype})`);
    const suite = await runModelSuite(oursDir, { dtype });
    const onnx = join(oursDir, 'onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
    entriesOurs.push({
      model: dtypes.length > 1 ? `ours ${dtype}` : 'ours',
      trainSeconds: meta.durationMs / 1000,
      bytes: statSync(onnx).size,
      sizeNote: `${dtype === 'q8' ? 'int8' : 'fp32'} ONNX (${basename(onnx)})`,
      suite,
    });
  }
}

ensureFasttext(log);
log(`fastText: fasttext supervised ${FASTTEXT_ARGS.join(' ')} -thread 1 -seed 1`);
const ft = trainFasttext(train.texts, train.labels);
let fastText: Entry;
try {
  const suite = await runSuite({ labels: ft.labels, predict: async (texts) => ft.predict(texts) }, { dataDir: DATA_DIR, chunk: Number.MAX_SAFE_INTEGER });
  fastText = { model: 'fastText', trainSeconds: ft.seconds, bytes: ft.bytes, sizeNote: 'model.bin (default 2M buckets)', suite };
} finally {
  ft.dispose();
}

log('TF-IDF 1–2-gram (min_df 2, sublinear tf) + logistic regression (C = 1, L-BFGS)');
const started = performance.now();
const lr = trainTfidfLr(train.texts, train.labels);
const lrSeconds = (performance.now() - started) / 1000;
log(`  ${lr.vocabulary.size} features, ${lr.iterations} L-BFGS iterations, ${lrSeconds.toFixed(1)} s`);
const lrSuite = await runSuite({ labels: lr.labels, predict: async (texts) => lr.predict(texts) }, { dataDir: DATA_DIR });
const tfidf: Entry = { model: 'TF-IDF+LR', trainSeconds: lrSeconds, bytes: lr.serializedBytes(), sizeNote: `JSON, ${lr.vocabulary.size} features`, suite: lrSuite };

const entries = [...entriesOurs, fastText, tfidf];

// Print: one row per suite entry, accuracy / macro-F1 per model; then the summary and CheckList rows.
const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(3));
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
const keys = [...new Map(entries.flatMap((e) => e.suite.sets.map((s) => [`${s.set} ${s.scoring}`, s] as const))).keys()];
const rows = keys.map((k) => [
  k,
  ...entries.map((e) => {
    const s = e.suite.sets.find((x) => `${x.set} ${x.scoring}` === k);
    return s ? `${f3(s.accuracy)} / ${f3(s.macroF1)}` : '–';
  }),
]);
rows.push(['mean of evaluation-only (macro-F1)', ...entries.map((e) => f3(e.suite.summary.evaluationOnlyMean.macroF1))]);
rows.push(['worst polar set (macro-F1)', ...entries.map((e) => `${e.suite.summary.worst.set} ${f3(e.suite.summary.worst.macroF1)}`)]);
rows.push(['CheckList polar MFT failure', ...entries.map((e) => pct(e.suite.checklist?.polarMft.failureRate))]);
rows.push(['CheckList neutral MFT failure', ...entries.map((e) => pct(e.suite.checklist?.neutralMft?.failureRate))]);
rows.push(['CheckList INV failure (all / robustness)', ...entries.map((e) => `${pct(e.suite.checklist?.inv.failureRate)} / ${pct(e.suite.checklist?.invRobustness.failureRate)}`)]);
rows.push(['CheckList DIR failure', ...entries.map((e) => pct(e.suite.checklist?.dir.failureRate))]);
rows.push(['training time', ...entries.map((e) => `${e.trainSeconds.toFixed(1)} s${e.model.startsWith('ours') && trainWallSeconds !== null ? ` (pnpm train ${trainWallSeconds.toFixed(0)} s)` : ''}`)]);
rows.push(['model size', ...entries.map((e) => `${(e.bytes / 1e6).toFixed(2)} MB`)]);
rows.push(['suite time', ...entries.map((e) => `${e.suite.seconds.toFixed(1)} s`)]);
const text = table(['set (accuracy / macro-F1)', ...entries.map((e) => `${e.model} (${e.suite.labels.length} labels)`)], rows);
const header = `peers trained on ${runName}: ${rowsNote} (${train.texts.length} rows); ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`;
console.log(`\n${header}\n`);
console.log(text);
console.log('\nsizes: ' + entries.map((e) => `${e.model}: ${e.sizeNote}`).join('; '));

const out = v.out ? resolve(cwd, v.out) : join(REPO_ROOT, 'bench-results', 'peers.json');
mkdirSync(dirname(out), { recursive: true });
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs?: Record<string, unknown> }) : {};
const runs = { ...(previous.runs ?? {}), [runName]: { date: new Date().toISOString(), cores: cpus().length, trainFiles: files.map((f) => relative(DATA_DIR, f)), trainRows: train.texts.length, rows: rowsNote, loadAverage: loadavg(), models: entries, table: text } };
writeFileSync(out, `${JSON.stringify({ runs }, null, 2)}\n`);
// The full suite table of every model (per-class recall, ECE, every CheckList test) beside the JSON.
const md = out.replace(/\.json$/, '') + `-${runName.replace(/[^A-Za-z0-9_-]+/g, '_')}.md`;
writeFileSync(md, [`# ${header}`, '', '```', text, '```', ...entries.flatMap((e) => ['', `## ${e.model} (${e.suite.labels.join(', ')})`, '', suiteMarkdown(e.suite)])].join('\n') + '\n');
console.log(`\nwrote ${out} (run "${runName}") and ${md}`);
if (tmpModel) rmSync(tmpModel, { recursive: true, force: true });
