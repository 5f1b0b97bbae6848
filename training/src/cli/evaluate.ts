/**
 * pnpm evaluate --model DIR|NAME@VERSION|NAME@ALIAS --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--json]
 * pnpm evaluate --suite [--model DIR|NAME@REF] [--dtype fp32|q8] [--json] [--out FILE] [--write-model] [--pairs-per-case N]
 */
import { SCORING_TEXT, scoringOf } from '@sentiment-edge/registry';
import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { evaluateModel } from '../evaluate.ts';
import { userPath } from '../paths.ts';
import { runModelSuite, writeSuiteToModelDir } from '../model-suite.ts';
import { suiteText } from '../suite-table.ts';
import { metricsTable, num } from './format.ts';
import { runCli, UsageError } from '@sentiment-edge/registry/node';
import { cliArgs, resolveModelDir } from './run.ts';

/** What `--suite` scores without --model: the registry's default model, as `pnpm dev` publishes it. */
const DEFAULT_SUITE_MODEL = 'sentiment@champion';

const USAGE = `usage: pnpm evaluate --model DIR|NAME@VERSION|NAME@ALIAS --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--registry URL] [--json]
       pnpm evaluate --suite [--model DIR|NAME@VERSION|NAME@ALIAS] [--dtype fp32|q8] [--json] [--out FILE] [--write-model] [--pairs-per-case N]
--suite scores the model on every evaluation/test set in the data directory ($SENTIMENT_DATA_DIR, default ../shared/data)
and on CheckList; --model defaults to ${DEFAULT_SUITE_MODEL}. --out writes the JSON result to FILE; --write-model stores it
in the model directory (metrics.json "suite" and a model-card section); --pairs-per-case N scores only the first N pairs of
each CheckList INV/DIR case (default: all).`;

async function main(): Promise<number> {
  const v = cliArgs(
    {
      model: { type: 'string' },
      data: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      dtype: { type: 'string', default: 'fp32' },
      registry: { type: 'string' },
      json: { type: 'boolean' },
      suite: { type: 'boolean' },
      out: { type: 'string' },
      'write-model': { type: 'boolean' },
      'pairs-per-case': { type: 'string' },
    },
    USAGE,
  );
  if (v.suite) return suite(v);
  if (!v.model || !v.data) throw new UsageError('--model and --data are required');
  if (v.dtype !== 'fp32' && v.dtype !== 'q8') throw new UsageError(`--dtype must be fp32 or q8, got "${v.dtype}"`);
  const { dir } = await resolveModelDir(v.model, v.registry);
  const bar = progressBar('evaluating [{bar}] {value}/{total} rows', !v.json);
  const r = await evaluateModel(dir, userPath(v.data), {
    textColumn: v['text-column'],
    labelColumn: v['label-column'],
    dtype: v.dtype,
    onProgress: bar.update,
  });
  bar.stop();
  if (v.json) {
    process.stdout.write(`${JSON.stringify({ ...r.evaluation, rows: r.evaluation.dataset.rows, labels: r.labels, scoring: scoringOf(r.evaluation, r.labels) })}\n`);
  } else {
    console.log(`model ${v.model} (${v.dtype}) on ${r.evaluation.dataset.name} (sha256 ${r.evaluation.dataset.sha256.slice(0, 12)}…), scored ${SCORING_TEXT[scoringOf(r.evaluation, r.labels)]}\n`);
    console.log(metricsTable(r.metrics));
  }
  return 0;
}

async function suite(v: {
  model?: string | undefined;
  data?: string | undefined;
  dtype?: string | undefined;
  registry?: string | undefined;
  json?: boolean | undefined;
  out?: string | undefined;
  'write-model'?: boolean | undefined;
  'pairs-per-case'?: string | undefined;
}): Promise<number> {
  if (v.data) throw new UsageError('--suite scores every set of the data directory: drop --data (or run without --suite to score one file)');
  if (v.dtype !== 'fp32' && v.dtype !== 'q8') throw new UsageError(`--dtype must be fp32 or q8, got "${v.dtype}"`);
  const pairs = num('pairs-per-case', v['pairs-per-case']);
  if (pairs !== undefined && (!Number.isInteger(pairs) || pairs < 0)) throw new UsageError(`--pairs-per-case must be a whole number ≥ 0, got "${v['pairs-per-case']}"`);
  const ref = v.model ?? DEFAULT_SUITE_MODEL;
  const { dir } = await resolveModelDir(ref, v.registry);
  const bar = progressBar('scoring [{bar}] {value}/{total} distinct texts', !v.json);
  const r = await runModelSuite(dir, {
    dtype: v.dtype,
    ...(pairs ? { checklistSample: { maxPairsPerCase: pairs } } : {}),
    onProgress: bar.update,
  });
  bar.stop();
  const json = JSON.stringify({ model: ref, dtype: v.dtype, ...r }, null, 2);
  if (v.out) writeFileSync(userPath(v.out), `${json}\n`);
  if (v['write-model']) writeSuiteToModelDir(dir, r, v.dtype);
  if (v.json) process.stdout.write(`${json}\n`);
  else {
    console.log(`suite: model ${ref} (${v.dtype}), data ${r.dataDir}\n`);
    console.log(suiteText(r));
    if (v.out) console.log(`wrote ${userPath(v.out)}`);
    if (v['write-model']) console.log(`wrote the suite into ${dir}/metrics.json and ${dir}/README.md`);
  }
  return 0;
}

runCli(main, USAGE);

/** A progress bar on stderr (none when `show` is false, e.g. with --json), started on the first update. */
function progressBar(format: string, show: boolean): { update: (done: number, total: number) => void; stop: () => void } {
  const bar = show ? new cliProgress.SingleBar({ format, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  return {
    update: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}
