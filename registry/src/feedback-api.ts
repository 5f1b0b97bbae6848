/**
 * The HTTP contract of evaluation runs (POST/GET /api/v1/evaluations) and user feedback
 * (POST /api/v1/feedback, GET …/feedback/export, GET …/feedback/accuracy), shared by the Worker
 * (server), training (publish-model records its gate evaluations) and the web app (corrections).
 */
import { API_PREFIX } from './api.ts';
import type { ModelVersionRef } from './serving-api.ts';
import type { ClassMetricValues } from './metrics.ts';

export const evaluationRoutes = {
  evaluations: () => `${API_PREFIX}/evaluations`,
  evaluation: (id: string) => `${API_PREFIX}/evaluations/${encodeURIComponent(id)}`,
  feedback: () => `${API_PREFIX}/feedback`,
  feedbackExport: () => `${API_PREFIX}/feedback/export`,
  feedbackAccuracy: () => `${API_PREFIX}/feedback/accuracy`,
} as const;

/** Largest CSV an evaluation accepts (uploaded or read from R2). */
export const MAX_EVALUATION_BYTES = 16 * 1024 * 1024;
/** Most data rows one evaluation scores. */
export const MAX_EVALUATION_ROWS = 100_000;
/** Texts per ONNX run in an evaluation: the same batch size `pnpm evaluate` uses, so padding (and float sums) match. */
export const EVALUATION_BATCH = 128;
/** Most corrections per POST /api/v1/feedback. */
export const MAX_FEEDBACK_BATCH = 500;

export type EvaluationSource = 'upload' | 'r2' | 'client';
export type EvaluationStatus = 'running' | 'succeeded' | 'failed';
export type EvaluationPrecision = 'int8' | 'fp32';

/** The numbers of one evaluation (null while running or after a failure). */
export interface EvaluationMetrics {
  accuracy: number;
  macroF1: number;
  macroRecall: number;
  /** Expected calibration error of the top-class confidence (15 bins). */
  ece: number;
  perClass: Record<string, ClassMetricValues>;
  /** confusion[true][predicted], in `labels` order. */
  confusion: number[][];
}

export interface EvaluationRun {
  id: string;
  model: ModelVersionRef;
  precision: EvaluationPrecision;
  source: EvaluationSource;
  dataset: { name: string; sha256: string; rows: number };
  labels: string[];
  status: EvaluationStatus;
  metrics: EvaluationMetrics | null;
  error: string | null;
  durationMs: number | null;
  note: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Who started the run: the API key's name, or 'REGISTRY_TOKEN' (absent on runs recorded before this was). */
  createdBy?: string;
}

/**
 * JSON body of POST /api/v1/evaluations. Either `dataset` (the name of a CSV stored in R2 under
 * `datasets/NAME`, e.g. by an earlier upload) to be scored by the Worker, or `result` (numbers
 * computed elsewhere, e.g. publish-model's gate evaluation, with onnxruntime-node) to be recorded.
 * A CSV upload is a `text/csv` body instead, with `?model=&dataset=&precision=` in the query.
 */
export interface EvaluationRequest {
  /** NAME, NAME@VERSION or NAME@ALIAS (a `result` needs NAME@VERSION). */
  model: string;
  dataset?: string;
  precision?: EvaluationPrecision;
  result?: { dataset: { name: string; sha256: string; rows: number } } & EvaluationMetrics;
  note?: string;
}

export interface EvaluationQuery {
  model?: string;
  version?: number;
  /** A dataset name or a dataset sha256 (64 hex digits). */
  dataset?: string;
  n?: number;
}

export interface EvaluationList {
  evaluations: EvaluationRun[];
}

/** One correction: the prediction's id (edge or synced browser row) and the label the user says is right. */
export interface FeedbackItem {
  predictionId: string;
  label: string;
}

export interface FeedbackRequest {
  items: FeedbackItem[];
}

export interface FeedbackResponse {
  /** Corrections stored for the first time. */
  inserted: number;
  /** Corrections that replaced an earlier one for the same prediction. */
  updated: number;
}

/** Realised accuracy of one version on one UTC day (of the prediction), from feedback. */
export interface RealisedAccuracyRow {
  model: ModelVersionRef;
  day: string;
  /** Predictions that received feedback. */
  feedback: number;
  /** Of those, how many the user confirmed (corrected label = predicted label). */
  correct: number;
  accuracy: number;
}

export interface RealisedAccuracyResponse {
  rows: RealisedAccuracyRow[];
}
