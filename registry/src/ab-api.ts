/**
 * The HTTP contract of GET /api/v1/ab?model=NAME&a=V1&b=V2[&days=N][&source=edge|browser]
 * (REGISTRY_TOKEN or READ_TOKEN): two versions of a model compared over the period in which both
 * served traffic. Differences are always b − a. The Worker builds it (worker/src/monitor/ab.ts) from
 * the history, the shadow pairs and the feedback; the dashboard shows it.
 */
import type { Interval } from './ab.ts';
import type { PredictionSource } from './serving-api.ts';

export interface AbVersion {
  version: number;
  /** History rows of the version in the overlap. */
  n: number;
  /** label → count, and label → share of n. */
  labels: Record<string, number>;
  labelMix: Record<string, number>;
  /** Mean top-class probability; null without rows. */
  meanConfidence: number | null;
  /** Nearest-rank percentiles of the per-text latency the history stores (edge: Worker time; browser: in-browser time). */
  latencyMs: { p50: number | null; p95: number | null };
  /** Rows with feedback (a user's label): how many, how many the version had right, accuracy with its 95 % Wilson interval. */
  feedback: { n: number; correct: number; accuracy: number | null; interval: Interval | null };
}

export interface AbReadout {
  model: string;
  /** The period asked for: the last `days` days up to now. */
  window: { start: string; end: string; days: number };
  /** Where both versions have history rows in the window (from the later first row to the earlier last row); null: no overlap, every figure is over no rows. */
  overlap: { start: string; end: string } | null;
  /** Only rows of this source (null: edge and browser rows). */
  source: PredictionSource | null;
  a: AbVersion;
  b: AbVersion;
  /** b − a per label, and the total variation distance of the two mixes (null unless both have rows). */
  labelMixDifference: { perLabel: Record<string, number>; totalVariation: number } | null;
  /** mean confidence b − a. */
  meanConfidenceDifference: number | null;
  /** Shadow pairs in the window (the same text scored by both, one as champion, one as challenger): how many and the share with the same label. */
  agreement: { rows: number; agreement: number | null };
  /** Accuracy on feedback b − a with a 95 % Newcombe hybrid score interval (method 10); null unless both versions have feedback. */
  accuracyDifference: ({ difference: number; method: 'newcombe'; confidence: 0.95 } & Interval) | null;
}

export interface AbQuery {
  model: string;
  a: number;
  b: number;
  /** 1–90 (default 7). */
  days?: number;
  source?: PredictionSource;
}
