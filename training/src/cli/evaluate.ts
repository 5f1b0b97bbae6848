/** pnpm evaluate --model DIR --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--json] */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { evaluateModel } from '../evaluate.ts';
import { userPath } from '../paths.ts';
import { metricsTable } from './format.ts';

const USAGE = 'usage: pnpm evaluate --model DIR --data CSV [--text-column text] [--label-column label] [--dtype fp32|q8] [--json]';

async function main(): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      options: {
        model: { type: 'string' },
        data: { type: 'string' },
        'text-column': { type: 'string' },
        'label-column': { type: 'string' },
        dtype: { type: 'string', default: 'fp32' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!v.model || !v.data || (v.dtype !== 'fp32' && v.dtype !== 'q8')) {
    console.error(USAGE);
    return 2;
  }
  const bar = v.json ? null : new cliProgress.SingleBar({ format: 'evaluating [{bar}] {value}/{total} rows', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  const r = await evaluateModel(userPath(v.model), userPath(v.data), {
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

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
