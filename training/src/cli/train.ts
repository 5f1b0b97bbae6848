/**
 * pnpm train [--out DIR]: the default recipe, a 3-class model on every training set in the data directory
 *   ($SENTIMENT_DATA, else ../shared/data; src/recipe.ts). `--preset sst2`: the 2-label SST-2 model.
 * pnpm train --data CSV [--data CSV …] [--validation CSV] [--out DIR] [--text-column text] [--label-column label]
 *            [--epochs N] [--seed S] [--dim D] [--buckets B] [--hidden H] [--lr LR] [--patience P]
 *            [--lexicon] [--attention] [--word-vectors] [--from DIR|NAME@VERSION|NAME@ALIAS [--registry URL]] [--name NAME]
 */
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { concatDatasets, loadDataset, type Dataset } from '../data.ts';
import { exportModel, loadWarmStart } from '../export/model-dir.ts';
import { DATA_DIR, dataFile, REPO_ROOT, userPath } from '../paths.ts';
import { DEFAULT_RECIPE, presetFor, SST2_PRESET } from '../presets.ts';
import { loadRecipeData, recipeSources, type RecipeData } from '../recipe.ts';
import { trainModel, type Encoder, type TrainedModel, type TrainParams } from '../train.ts';
import { ownDataCandidates, selectRecipe, type SelectionRecord } from '../selection.ts';
import { checkOwnData, splitForSelection, trainingLanguageReport } from '../own-data.ts';
import { metricsTable, num } from './format.ts';
import { runCli, table, UsageError } from '@sentiment-edge/registry/node';
import { cliArgs, resolveModelDir } from './run.ts';
import { runSuiteAfterExport } from './suite-step.ts';

/** Default --budget: fits 20,000 rows (search included) in about a minute on 2 cores. */
const DEFAULT_BUDGET = 40;

const USAGE = `usage: pnpm train [--out DIR] [--preset default|sst2] [--seed S] …   (no --data: a preset on the shared data)
       pnpm train --data CSV [--data CSV ...] [--validation CSV] [--out DIR] [--text-column text] [--label-column label]
                  [--epochs N] [--seed S] [--dim D] [--buckets B] [--hidden H] [--lr LR] [--patience P]
                  [--token-dropout P] [--average-last N] [--keep best|last] [--lexicon|--no-lexicon] [--attention|--no-attention] [--word-vectors|--no-word-vectors] [--balanced]
                  [--calibrate] [--encoder pooled|cnn] [--from DIR|NAME@VERSION|NAME@ALIAS] [--registry URL] [--name NAME] [--suite] [--budget SECONDS]
       pnpm train [--add-data CSV ...] …   (the default recipe plus your own labelled rows, e.g. a feedback export)
Without --data: --preset default (the default) trains one negative/neutral/positive model on every training
set in $SENTIMENT_DATA (else ../shared/data), weighted per source and class, validated and calibrated on
held-out training rows; --preset sst2 trains the 2-label model on sst2/train.csv (validation: sst2/validation.csv).
--encoder cnn adds a 1-D convolution over the words in order beside the pooled features (src/conv.ts).
--suite runs the evaluation suite (pnpm evaluate --suite) on the exported model and stores it in metrics.json and the model card.
--data may be repeated: the files are concatenated (one model on all of them).
--add-data (default recipe only, may be repeated) adds a text,label CSV with negative/neutral/positive labels as one
more source, weighted and held out like the others (train-publish.yml adds the registry's feedback export this way).
With --data and none of the model flags (--epochs … --calibrate) nor --from, a bounded search picks the recipe:
every candidate of src/selection.ts trains on the same rows and is scored on the same validation rows (--validation,
else a stratified, seeded 15 % of the data); the best validation macro-F1 is kept. --budget SECONDS (default ${DEFAULT_BUDGET})
stops starting new candidates once that much time is used. A TF-IDF + logistic regression baseline is scored on the same
validation rows and reported beside it. With model flags, exactly that configuration is trained (presets, src/presets.ts).`;


async function main(): Promise<number> {
  const v = cliArgs(
    {
      data: { type: 'string', multiple: true },
      'add-data': { type: 'string', multiple: true },
      validation: { type: 'string' },
      out: { type: 'string' },
      'text-column': { type: 'string', default: 'text' },
      'label-column': { type: 'string', default: 'label' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      dim: { type: 'string' },
      buckets: { type: 'string' },
      hidden: { type: 'string' },
      lr: { type: 'string' },
      patience: { type: 'string' },
      'token-dropout': { type: 'string' },
      'average-last': { type: 'string' },
      keep: { type: 'string' },
      lexicon: { type: 'boolean' },
      'no-lexicon': { type: 'boolean' },
      'no-attention': { type: 'boolean' },
      attention: { type: 'boolean' },
      balanced: { type: 'boolean' },
      'word-vectors': { type: 'boolean' },
      'no-word-vectors': { type: 'boolean' },
      from: { type: 'string' },
      registry: { type: 'string' },
      name: { type: 'string' },
      suite: { type: 'boolean' },
      preset: { type: 'string' },
      calibrate: { type: 'boolean' },
      encoder: { type: 'string' },
      budget: { type: 'string' },
    },
    USAGE,
  );
  const hasData = v.data !== undefined && v.data.length > 0;
  if (v.preset !== undefined && !['default', 'sst2'].includes(v.preset)) throw new UsageError(`--preset must be default or sst2, got "${v.preset}"`);
  if (v.encoder !== undefined && v.encoder !== 'pooled' && v.encoder !== 'cnn') throw new UsageError(`--encoder must be pooled or cnn, got "${v.encoder}"`);
  if (v.encoder !== undefined && v.from) throw new UsageError("--from keeps the parent model's encoder: leave out --encoder");
  if (v.preset !== undefined && hasData) throw new UsageError('--preset names the training data itself: give --preset or --data, not both');
  const recipe = !hasData && v.preset !== 'sst2';
  if (recipe && v.validation) throw new UsageError('the default recipe validates and calibrates on held-out rows of its training sets: --validation needs --data');
  if (recipe && v.from) throw new UsageError('--from warm-starts on your own data: it needs --data');
  const addData = (v['add-data'] ?? []).map(userPath);
  if (addData.length > 0 && !recipe) throw new UsageError('--add-data adds rows to the default recipe: with --data (or --preset sst2), list every file with --data instead');
  const cols = { textColumn: v['text-column'], labelColumn: v['label-column'] };
  // --from DIR | NAME@VERSION | NAME@ALIAS: warm-start from that version, recorded as the parent.
  const source = v.from ? await resolveModelDir(v.from, v.registry) : undefined;
  const warm = source && { ...loadWarmStart(source.dir), ...(source.manifest ? { parent: { name: source.manifest.name, version: source.manifest.version } } : {}) };
  // --data may be given more than once: the files are concatenated (name "a.csv+b.csv", sha256 over the
  // sorted per-file sha256s).
  let train: Dataset;
  let validation: Dataset | undefined;
  let recipeData: RecipeData | null = null;
  /** The training files, recorded in training-meta.json (the peers bench trains on the same ones). */
  let datasetFiles: string[];
  if (recipe) {
    recipeData = loadRecipeData(DATA_DIR, {}, recipeSources(addData));
    train = recipeData.train;
    validation = recipeData.heldOut;
    datasetFiles = recipeData.sources.flatMap((s) => (s.generated ? [] : [resolve(DATA_DIR, s.file)]));
  } else {
    const files = hasData ? v.data!.map(userPath) : [dataFile('sst2/train.csv')];
    datasetFiles = files;
    const parts = files.map((d) => loadDataset(d, { ...cols, ...(warm ? { labels: warm.labels } : {}) }));
    train = concatDatasets(parts, warm ? warm.labels : undefined);
    const valFile = v.validation ? userPath(v.validation) : hasData ? undefined : dataFile('sst2/validation.csv');
    validation = valFile ? loadDataset(valFile, { ...cols, labels: warm ? warm.labels : train.labelSet }) : undefined;
  }
  const out = v.out ? userPath(v.out) : join(REPO_ROOT, 'models', recipe ? 'sentiment' : 'sst2');

  // Defaults: the recipe's preset, or the measured preset for the training-set size; explicit flags override it.
  // A warm start keeps the parent's shape and vocabulary: fine-tune gently instead.
  const params: Partial<TrainParams> = warm
    ? { epochs: 3, lr: 0.02, tokenDropout: 0.3 }
    : recipe
      ? { ...DEFAULT_RECIPE }
      : hasData
        ? { ...presetFor(train.texts.length) }
        : { ...SST2_PRESET };
  const set = <K extends keyof TrainParams>(k: K, value: TrainParams[K] | undefined) => {
    if (value !== undefined) params[k] = value;
  };
  set('epochs', num('epochs', v.epochs));
  set('seed', num('seed', v.seed));
  set('dim', num('dim', v.dim));
  set('buckets', num('buckets', v.buckets));
  set('hidden', num('hidden', v.hidden));
  set('lr', num('lr', v.lr));
  set('patience', num('patience', v.patience));
  set('tokenDropout', num('token-dropout', v['token-dropout']));
  set('averageLast', num('average-last', v['average-last']));
  if (v.keep !== undefined) {
    if (v.keep !== 'best' && v.keep !== 'last') throw new Error(`--keep must be best or last, got "${v.keep}"`);
    params.keep = v.keep;
  }
  if (v.lexicon) params.lexicon = true;
  if (v['no-lexicon']) params.lexicon = false;
  if (v['no-attention']) params.attention = false;
  if (v.attention) params.attention = true;
  if (v.balanced) params.balanced = true;
  if (v['word-vectors']) params.wordVectors = true;
  if (v['no-word-vectors']) params.wordVectors = false;
  if (v.calibrate) params.calibrate = true;
  if (v.encoder !== undefined) params.encoder = v.encoder as Encoder;

  const modelFlags = ['epochs', 'seed', 'dim', 'buckets', 'hidden', 'lr', 'patience', 'token-dropout', 'average-last', 'keep', 'lexicon', 'no-lexicon', 'no-attention', 'attention', 'balanced', 'word-vectors', 'no-word-vectors', 'calibrate'] as const;
  const search = hasData && !warm && modelFlags.every((f) => f === 'seed' || v[f] === undefined);
  if (v.budget !== undefined && !search) throw new UsageError('--budget bounds the recipe search, which runs with --data and without --from or model flags (--epochs, --dim, …)');
  const budget = num('budget', v.budget) ?? DEFAULT_BUDGET;
  if (!(budget > 0)) throw new UsageError(`--budget must be a number of seconds above 0, got "${v.budget}"`);
  let languages: string[] = [];
  if (hasData) {
    for (const w of checkOwnData(train, validation)) console.log(`warning: ${w}`);
    const report = trainingLanguageReport(train.texts);
    languages = report.languages;
    console.log(report.line);
    if (!search && !languages.every((l) => l === 'en') && (params.lexicon || params.wordVectors) && !(v.lexicon || v['word-vectors'])) {
      // English-only knowledge (GloVe, AFINN/VADER) only for English rows.
      params.lexicon = false;
      params.wordVectors = false;
      params.negationPrior = 0;
      console.log('English priors (word vectors, AFINN/VADER) off: the rows are not all English');
    }
  } else languages = recipeData?.languages ?? ['en'];
  if (search) return trainWithSearch({ train, validation, seed: params.seed ?? 42, budget, languages, out, datasetFiles, modelName: v.name, suite: v.suite === true });

  console.log(`parameters: ${JSON.stringify(params)}`);
  console.log(`training on ${train.name}: ${train.texts.length} rows, labels ${train.labelSet.join(', ')}`);
  if (recipeData) {
    console.log(`data: ${DATA_DIR}`);
    console.log(
      table(
        ['source', 'train rows', 'held out', 'row weight by class', 'language'],
        recipeData.sources.map((s) => [s.file, String(s.train), String(s.heldOut), Object.entries(s.weight).map(([l, w]) => `${l} ${w.toFixed(2)}`).join(', '), s.languages.join(', ') || '–']),
      ),
    );
  }
  console.log(validation ? `validation: ${validation.name} (${validation.texts.length} rows)` : 'validation: stratified 15% of the training file (70/15/15 split)');
  if (warm) console.log(`warm start from ${warm.source}`);

  let bar: cliProgress.SingleBar | null = null;
  let barEpoch = 0;
  const rows: string[][] = [];
  const WIDEST = ['avg(10)', '00.0000', '0.0000', '0.0000', '0.0000', '0.0000', '0000.0s', 'best'];
  const epochs = params.epochs ?? 10;
  const model = trainModel({
    train,
    ...(validation ? { validation } : {}),
    ...(warm ? { warmStart: warm } : {}),
    ...(recipeData ? { rowWeights: recipeData.rowWeights, polarRows: recipeData.polarRows } : {}),
    ...params,
    onProgress: ({ epoch, done, total, loss, examplesPerSecond }) => {
      if (!bar || barEpoch !== epoch) {
        bar?.stop();
        bar = new cliProgress.SingleBar(
          { format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | {speed} ex/s | loss {loss} | ETA {eta}s`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { speed: '-', loss: '-' });
        barEpoch = epoch;
      }
      bar.update(done, { speed: Math.round(examplesPerSecond), loss: loss.toFixed(4) });
    },
    onEpoch: (r) => {
      bar?.stop();
      bar = null;
      rows.push([
        r.averaged ? `avg(${r.averaged})` : String(r.epoch),
        Number.isNaN(r.loss) ? '-' : r.loss.toFixed(4),
        r.validation.accuracy.toFixed(4),
        r.validation.macroF1.toFixed(4),
        r.validation.macroRecall.toFixed(4),
        r.validation.ece.toFixed(4),
        `${r.seconds.toFixed(1)}s`,
        r.best ? '*' : '',
      ]);
      // Header once, then one aligned row per epoch.
      const lines = table(['epoch', 'loss', 'val acc', 'val macro-F1', 'val macro-recall', 'ECE', 'time', 'best'], [...rows, WIDEST]).split('\n');
      if (rows.length === 1) console.log(lines.slice(0, 2).join('\n'));
      console.log(lines[rows.length + 1]);
    },
  });
  const extra: Record<string, unknown> = {};
  if (model.test) {
    const { computeMetrics, summarizeMetrics } = await import('../metrics.ts');
    const { createTokenizer, encodeTexts } = await import('../tokenizer.ts');
    const { predictProbs } = await import('../model.ts');
    const tok = createTokenizer(model.tokenizerJson, model.tokenizerConfig);
    const tm = computeMetrics(model.test.labelIds, predictProbs(model.weights, encodeTexts(tok, model.test.texts)), model.labels);
    extra.test = summarizeMetrics(tm);
    console.log(`\nheld-out test split (${tm.rows} rows): accuracy ${tm.accuracy.toFixed(4)}, macro-F1 ${tm.macroF1.toFixed(4)}`);
  }
  const result = exportModel(model, out, { extraMetrics: extra, datasetFiles, languages, ...(v.name ? { modelName: v.name } : {}) });
  console.log(`\nkept ${model.params.keep === 'last' ? 'the last model' : 'the best epoch'} (${model.history.find((h) => h.epoch === model.bestEpoch)?.averaged ? 'weight average' : `epoch ${model.bestEpoch}`}); trained in ${(model.durationMs / 1000).toFixed(1)} s\n`);
  console.log(metricsTable(model.validation));
  if (model.uncalibratedEce !== null) {
    console.log(`calibration: temperature ${model.weights.temperature.toFixed(3)}, validation ECE ${model.uncalibratedEce.toFixed(4)} → ${model.validation.ece.toFixed(4)}`);
  }
  console.log(`\nwrote ${result.dir}: ${result.files.join(', ')}`);
  console.log(`onnx/model.onnx ${(result.sizes.fp32 / 1e6).toFixed(2)} MB, onnx/model_quantized.onnx ${(result.sizes.int8 / 1e6).toFixed(2)} MB`);
  if (v.suite) await runSuiteAfterExport(result.dir);
  return 0;
}

/** `pnpm train --data …` without model flags: the recipe search (src/selection.ts), then the export. */
async function trainWithSearch(o: {
  train: Dataset;
  validation: Dataset | undefined;
  seed: number;
  budget: number;
  languages: string[];
  out: string;
  datasetFiles: string[];
  modelName: string | undefined;
  suite: boolean;
}): Promise<number> {
  const split = o.validation ? { train: o.train, validation: o.validation, dropped: 0 } : splitForSelection(o.train, o.seed);
  if (split.dropped > 0) console.log(`${split.dropped} validation rows left out of the scoring: every 4-word sequence of theirs is in a training row (duplicates, sub-phrases)`);
  const english = o.languages.length > 0 && o.languages.every((l) => l === 'en');
  const candidates = ownDataCandidates({ rows: split.train.texts.length, english, seed: o.seed });
  console.log(
    `recipe search on ${o.train.name}: ${split.train.texts.length} training rows, ${split.validation.texts.length} validation rows (${o.validation ? o.validation.name : 'stratified 15 %, seed ' + o.seed}), labels ${o.train.labelSet.join(', ')}; budget ${o.budget} s; ${english ? 'English priors among the candidates' : 'no English priors (the rows are not all English)'}`,
  );
  const { model: picked, record } = selectRecipe(candidates, split.train, split.validation, {
    budgetSeconds: o.budget,
    log: (line) => console.log(`  ${line}`),
    ...(o.validation ? {} : { refitOn: o.train }),
  });
  console.log(`\n${table(['candidate', 'val macro-F1', 'val accuracy', 'time', 'status'], [
    ...record.candidates.map((c) => [c.name === record.chosen ? `${c.name} (chosen)` : c.name, c.macroF1?.toFixed(4) ?? '–', c.accuracy?.toFixed(4) ?? '–', `${c.seconds.toFixed(1)}s`, c.status]),
    ['baseline: TF-IDF+LR', record.baseline.macroF1.toFixed(4), record.baseline.accuracy.toFixed(4), `${record.baseline.seconds.toFixed(1)}s`, 'baseline'],
  ])}`);
  const model: TrainedModel = { ...picked, datasetName: o.train.name, datasetSha256: o.train.sha256 };
  const result = exportModel(model, o.out, { datasetFiles: o.datasetFiles, languages: o.languages, selection: record, ...(o.modelName ? { modelName: o.modelName } : {}) });
  printExport(model, result, record);
  if (o.suite) await runSuiteAfterExport(result.dir);
  return 0;
}

function printExport(model: TrainedModel, result: ReturnType<typeof exportModel>, record: SelectionRecord): void {
  const d = model.validation.macroF1 - record.baseline.macroF1;
  console.log(`\nkept "${record.chosen}": validation macro-F1 ${model.validation.macroF1.toFixed(4)} vs the linear baseline's ${record.baseline.macroF1.toFixed(4)} (${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)} pt)\n`);
  console.log(metricsTable(model.validation));
  console.log(`\nwrote ${result.dir}: ${result.files.join(', ')}`);
  console.log(`onnx/model.onnx ${(result.sizes.fp32 / 1e6).toFixed(2)} MB, onnx/model_quantized.onnx ${(result.sizes.int8 / 1e6).toFixed(2)} MB`);
}

runCli(main, USAGE);
