/** Evaluates any Hugging Face–layout model directory on a labelled file, through its own ONNX + tokenizer.json. */
import { loadDataset } from './data.ts';
import type { Metrics } from './metrics.ts';
import { buildProfile, scoreLabelled, type ReferenceProfile, type TokenStats } from '@sentiment-edge/registry';
import { loadPredictor } from './predictor.ts';

export interface EvaluateOptions {
  textColumn?: string | undefined;
  labelColumn?: string | undefined;
  dtype?: 'fp32' | 'q8';
  batchSize?: number;
  /** Called after each batch with the rows done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** The evaluation record a registry manifest holds. */
export interface EvaluationRecord {
  dataset: { name: string; sha256: string; rows: number };
  accuracy: number;
  macroF1: number;
  macroRecall: number;
  perClass: Metrics['perClass'];
  confusion: number[][];
  ece: number;
}

export interface ModelEvaluation {
  evaluation: EvaluationRecord;
  /** Per-row correctness, in file order (for the paired test between two models). */
  correct: boolean[];
  labels: string[];
  metrics: Metrics;
  /** Per-row probabilities in label order. */
  probabilities: Float32Array[];
  /** Per-row token count and unknown-token share, as the model's tokenizer sees the text. */
  tokenStats: TokenStats[];
}

/**
 * The reference profile of an evaluation (registry drift.ts): what the model's predictions looked
 * like on this data, which the Worker's drift job compares live traffic with.
 */
export function evaluationProfile(ev: Pick<ModelEvaluation, 'probabilities' | 'tokenStats' | 'labels'>): ReferenceProfile {
  return buildProfile(
    ev.probabilities.map((p, i) => {
      let best = 0;
      for (let j = 1; j < p.length; j++) if (p[j]! > p[best]!) best = j;
      return { ...ev.tokenStats[i]!, confidence: p[best]!, label: ev.labels[best]! };
    }),
    ev.labels,
  );
}

export async function evaluateModel(dir: string, dataPath: string, options: EvaluateOptions = {}): Promise<ModelEvaluation> {
  const predictor = await loadPredictor(dir, { dtype: options.dtype ?? 'fp32', batchSize: options.batchSize ?? 128 });
  try {
    const ds = loadDataset(dataPath, {
      ...(options.textColumn ? { textColumn: options.textColumn } : {}),
      ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}),
      labels: predictor.labels,
    });
    const chunk = 1024;
    const probabilities: Float32Array[] = [];
    const tokenStats: TokenStats[] = [];
    for (let i = 0; i < ds.texts.length; i += chunk) {
      const r = await predictor.analyze(ds.texts.slice(i, i + chunk));
      probabilities.push(...r.probabilities);
      tokenStats.push(...r.stats);
      options.onProgress?.(Math.min(i + chunk, ds.texts.length), ds.texts.length);
    }
    // A 3-label model on a negative/positive file is scored polar, as `pnpm evaluate --suite` does (registry scoreLabelled).
    const metrics = scoreLabelled(ds.labelIds, probabilities, predictor.labels);
    return {
      evaluation: {
        dataset: { name: ds.name, sha256: ds.sha256, rows: ds.texts.length },
        accuracy: metrics.accuracy,
        macroF1: metrics.macroF1,
        macroRecall: metrics.macroRecall,
        perClass: metrics.perClass,
        confusion: metrics.confusion,
        ece: metrics.ece,
      },
      correct: metrics.correct,
      labels: predictor.labels,
      metrics,
      probabilities,
      tokenStats,
    };
  } finally {
    await predictor.close();
  }
}
