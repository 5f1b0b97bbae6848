/** pnpm predict --model DIR|NAME@VERSION|NAME@ALIAS (--text "…" | --input in.csv --output out.csv [--text-column text]) [--dtype fp32|q8] */
import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { parse } from 'csv-parse/sync';
import { loadPredictor } from '../predictor.ts';
import { userPath } from '../paths.ts';
import { runCli, UsageError } from '@sentiment-edge/registry/node';
import { cliArgs, resolveModelDir } from './run.ts';

const USAGE = 'usage: pnpm predict --model DIR|NAME@VERSION|NAME@ALIAS (--text "…" | --input in.csv --output out.csv [--text-column text]) [--dtype fp32|q8] [--registry URL]';

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

async function main(): Promise<number> {
  const v = cliArgs(
    {
      model: { type: 'string' },
      text: { type: 'string', multiple: true },
      input: { type: 'string' },
      output: { type: 'string' },
      'text-column': { type: 'string', default: 'text' },
      dtype: { type: 'string', default: 'fp32' },
      registry: { type: 'string' },
    },
    USAGE,
  );
  if (!v.model || (!v.text && !(v.input && v.output))) throw new UsageError('--model and either --text or --input with --output are required');
  if (v.dtype !== 'fp32' && v.dtype !== 'q8') throw new UsageError(`--dtype must be fp32 or q8, got "${v.dtype}"`);
  const { dir } = await resolveModelDir(v.model, v.registry);
  const predictor = await loadPredictor(dir, { dtype: v.dtype });
  try {
    if (v.text) {
      const preds = await predictor.predict(v.text);
      preds.forEach((p, i) => {
        const probs = Object.entries(p.probabilities)
          .map(([l, x]) => `${l}=${x.toFixed(4)}`)
          .join(' ');
        console.log(`${p.label}\t${p.score.toFixed(4)}\t${probs}\t${v.text![i]}`);
      });
      return 0;
    }
    const input = userPath(v.input!);
    const records = parse(readFileSync(input, 'utf8'), {
      bom: true,
      columns: true,
      skip_empty_lines: true,
      delimiter: /\.tsv$/i.test(input) ? '\t' : ',',
    }) as Record<string, string>[];
    const col = v['text-column'];
    const first = records[0];
    if (first && !(col in first)) throw new Error(`text column "${col}" not found; available columns: ${Object.keys(first).join(', ')}`);
    const texts = records.map((r) => r[col] ?? '');
    const bar = new cliProgress.SingleBar({ format: 'predicting [{bar}] {value}/{total} rows | ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(texts.length, 0);
    const header = [...(first ? Object.keys(first) : [col]), 'predicted_label', 'score', ...predictor.labels.map((l) => `p_${l}`)];
    const lines = [header.map(csvCell).join(',')];
    const chunk = 512;
    for (let i = 0; i < texts.length; i += chunk) {
      const preds = await predictor.predict(texts.slice(i, i + chunk));
      preds.forEach((p, k) => {
        const rec = records[i + k]!;
        lines.push(
          [...Object.values(rec), p.label, p.score.toFixed(6), ...predictor.labels.map((l) => p.probabilities[l]!.toFixed(6))].map(csvCell).join(','),
        );
      });
      bar.update(Math.min(i + chunk, texts.length));
    }
    bar.stop();
    writeFileSync(userPath(v.output!), `${lines.join('\n')}\n`);
    console.log(`wrote ${texts.length} predictions to ${v.output}`);
    return 0;
  } finally {
    await predictor.close();
  }
}

runCli(main, USAGE);
