/** pnpm evaluate --model DIR|NAME@VERSION|NAME@ALIAS --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--json] */
import cliProgress from 'cli-progress';
import { evaluateModel } from '../evaluate.ts';
import { userPath } from '../paths.ts';
import { metricsTable } from './format.ts';
import { runCli, UsageError } from '@sentiment-edge/registry/node';
import { cliArgs, resolveModelDir } from './run.ts';

const USAGE = 'usage: pnpm evaluate --model DIR|NAME@VERSION|NAME@ALIAS --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--registry URL] [--json]';

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
    },
    USAGE,
  );
  if (!v.model || !v.data) throw new UsageError('--model and --data are required');
  if (v.dtype !== 'fp32' && v.dtype !== 'q8') throw new UsageError(`--dtype must be fp32 or q8, got "${v.dtype}"`);
  const { dir } = await resolveModelDir(v.model, v.registry);
  const bar = v.json ? null : new cliProgress.SingleBar({ format: 'evaluating [{bar}] {value}/{total} rows', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  const r = await evaluateModel(dir, userPath(v.data), {
    textColumn: v['text-column'],
    labelColumn: v['label-column'],
    dtype: v.dtype,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  });
  bar?.stop();
  if (v.json) {
    process.stdout.write(`${JSON.stringify({ ...r.evaluation, rows: r.evaluation.dataset.rows, labels: r.labels })}\n`);
  } else {
    console.log(`model ${v.model} (${v.dtype}) on ${r.evaluation.dataset.name} (sha256 ${r.evaluation.dataset.sha256.slice(0, 12)}…)\n`);
    console.log(metricsTable(r.metrics));
  }
  return 0;
}

runCli(main, USAGE);
