/** Small text-table helpers shared by the CLIs. */
import { table } from '@sentiment-edge/registry/node';
import type { Metrics } from '../metrics.ts';

export function metricsTable(m: Metrics): string {
  const per = table(
    ['label', 'precision', 'recall', 'f1', 'support'],
    // Polar scoring (registry scoreLabelled) has per-class figures for negative and positive only.
    m.labels.filter((l) => m.perClass[l]).map((l) => {
      const c = m.perClass[l]!;
      return [l, c.precision.toFixed(4), c.recall.toFixed(4), c.f1.toFixed(4), String(c.support)];
    }),
  );
  const conf = table(
    ['true \\ predicted', ...m.labels],
    m.labels.map((l, i) => [l, ...m.confusion[i]!.map(String)]),
  );
  const summary = table(
    ['rows', 'accuracy', 'macro-F1', 'macro-recall', 'ECE'],
    [[String(m.rows), m.accuracy.toFixed(4), m.macroF1.toFixed(4), m.macroRecall.toFixed(4), m.ece.toFixed(4)]],
  );
  return `${summary}\n\n${per}\n\n${conf}`;
}

export function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new Error(`--${flag} must be a number, got "${v}"`);
  return x;
}
