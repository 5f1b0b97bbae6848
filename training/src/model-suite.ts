/**
 * The suite for a model directory: scoring it through the predictor (real ONNX Runtime), and making the
 * result part of the model: `suite` in metrics.json and a "Suite" section in the model card (README.md).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteRecord } from '@sentiment-edge/registry';
import { DATA_DIR } from './paths.ts';
import { loadPredictor, type PredictorOptions } from './predictor.ts';
import { runSuite, type SuiteOptions, type SuiteResult } from './suite.ts';
import { suiteMarkdown } from './suite-table.ts';

export interface ModelSuiteOptions extends Partial<SuiteOptions> {
  dtype?: PredictorOptions['dtype'];
}

/** Scores a Hugging Face–layout model directory on the suite (data: $SENTIMENT_DATA_DIR or ../shared/data). */
export async function runModelSuite(dir: string, options: ModelSuiteOptions = {}): Promise<SuiteResult> {
  const { dtype = 'fp32', ...suite } = options;
  const predictor = await loadPredictor(dir, { dtype, batchSize: 256 });
  try {
    return await runSuite({ labels: predictor.labels, predict: (texts) => predictor.probabilities(texts) }, { dataDir: DATA_DIR, ...suite });
  } finally {
    await predictor.close();
  }
}

/** The compact summary a registry manifest carries (`suite`). */
export function suiteRecord(r: SuiteResult): SuiteRecord {
  const c = r.checklist;
  return {
    sets: r.sets.map((s) => ({ set: s.set, scoring: s.scoring, rows: s.rows, accuracy: s.accuracy, macroF1: s.macroF1, recall: s.recall, ece: s.ece })),
    evaluationOnlyMeanMacroF1: r.summary.evaluationOnlyMean.macroF1,
    worst: { set: `${r.summary.worst.set} (${r.summary.worst.scoring})`, macroF1: r.summary.worst.macroF1 },
    checklist: c
      ? {
          polarMftFailure: c.polarMft.failureRate ?? 0,
          negationFailure: Object.fromEntries(Object.entries(c.negation).flatMap(([k, v]) => (v === null ? [] : [[k, v]]))),
          neutralMftFailure: c.neutralMft?.failureRate ?? null,
          invFailure: c.inv.failureRate ?? 0,
          dirFailure: c.dir.failureRate ?? 0,
          sampled: c.sampled,
        }
      : null,
  };
}

const CARD_START = '<!-- suite:start -->';
const CARD_END = '<!-- suite:end -->';

/**
 * Writes the suite into a model directory: `suite` in metrics.json (the full result) and a section in
 * README.md (replaced if present, so running it twice leaves one section).
 */
export function writeSuiteToModelDir(dir: string, r: SuiteResult, dtype: 'fp32' | 'q8' = 'fp32'): void {
  const metricsPath = join(dir, 'metrics.json');
  const metrics = existsSync(metricsPath) ? (JSON.parse(readFileSync(metricsPath, 'utf8')) as Record<string, unknown>) : {};
  metrics.suite = { dtype, ...r };
  writeFileSync(metricsPath, `${JSON.stringify(metrics, null, 2)}\n`);

  const cardPath = join(dir, 'README.md');
  const card = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : '';
  const section = `${CARD_START}\n## Evaluation suite (${dtype})\n\n${suiteMarkdown(r)}\n${CARD_END}\n`;
  const start = card.indexOf(CARD_START);
  const end = card.indexOf(CARD_END);
  const next = start >= 0 && end > start ? card.slice(0, start) + section + card.slice(end + CARD_END.length + 1) : `${card.trimEnd()}\n\n${section}`;
  writeFileSync(cardPath, next);
}

/** The suite record stored in a model directory's metrics.json, if any. */
export function readSuiteFromModelDir(dir: string): SuiteResult | null {
  const metricsPath = join(dir, 'metrics.json');
  if (!existsSync(metricsPath)) return null;
  const m = JSON.parse(readFileSync(metricsPath, 'utf8')) as { suite?: SuiteResult };
  return m.suite ?? null;
}
