/**
 * The HTTP contract of GET /api/v1/drift (REGISTRY_TOKEN or READ_TOKEN): a model's drift reports,
 * newest first, and its alerts. The Worker writes these reports (worker/src/monitor/run.ts, whose
 * `DriftReport` has this shape) and the web dashboard reads them.
 */
import type { ModelVersionRef } from './serving-api.ts';
import type { AccuracyEstimate, DriftFeature, FeatureCheck, SkippedFeature } from './drift.ts';

export type DriftReportStatus = 'ok' | 'drift' | 'insufficient_data' | 'no_reference';

export interface DriftReport {
  id?: number;
  createdAt: string;
  model: ModelVersionRef;
  /** Aliases that pointed at the version when the report was made. */
  aliases: string[];
  window: { start: string; end: string; hours: number };
  /** History rows of this version in the window. */
  rows: number;
  status: DriftReportStatus;
  thresholds: { psi: number; pValue: number; minRows: number };
  /** One check per feature (or why it was skipped); empty without a reference profile. */
  features: (FeatureCheck | SkippedFeature)[];
  driftedFeatures: DriftFeature[];
  /** CBPE: expected accuracy from the top-class probabilities; only as good as the calibration. */
  estimatedAccuracy: (AccuracyEstimate & { method: 'cbpe'; calibrationEce: number | null; evaluationAccuracy: number | null; referenceMeanConfidence: number | null }) | null;
  /** Accuracy on rows users corrected or confirmed (feedback), where there is any. */
  realisedAccuracy: { accuracy: number; rows: number } | null;
  /** Shadow scoring by the challenger (only in champions' reports; null when nothing was shadow-scored). */
  shadow: {
    challenger: ModelVersionRef;
    rows: number;
    agreement: number | null;
    labelMix: { champion: Record<string, number>; challenger: Record<string, number> };
    labelMixDifference: number | null;
    challengerMeanConfidence: number | null;
    otherRows: number;
  } | null;
  alerts: { opened: { id: number; feature: DriftFeature }[]; open: DriftFeature[]; resolved: DriftFeature[] };
}

export interface DriftAlert {
  id: number;
  model: ModelVersionRef;
  feature: string;
  state: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
  openedReportId: number;
  lastReportId: number;
  psi: number;
  pValue: number;
  delivery: { status: 'sending' | 'delivered' | 'failed'; attempts: number; lastStatus: number | null; lastError: string | null; updatedAt: string } | null;
}

export interface DriftListing {
  model: string;
  reports: DriftReport[];
  alerts: DriftAlert[];
}

export interface DriftQuery {
  model: string;
  version?: number;
  /** Reports to return, 1–500 (default 24). */
  n?: number;
}
