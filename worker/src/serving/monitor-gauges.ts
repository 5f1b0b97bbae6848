/**
 * The monitoring gauges of GET /metrics, from the latest drift report of each version an alias
 * points at (written by the hourly job, so they change once an hour) and the open alerts.
 */
import { labelString } from './prometheus.ts';
import type { MonitorGauges } from '../db/drift.ts';

function gauge(name: string, help: string, samples: [Record<string, string | number>, number][]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples.map(([labels, v]) => `${name}{${labelString(labels)}} ${v}`)];
}

export function monitorLines(g: MonitorGauges | null): string[] {
  const up = ['# HELP sentiment_monitor_up 1 when the drift reports could be read for this scrape, else 0 (their series are then absent).', '# TYPE sentiment_monitor_up gauge', `sentiment_monitor_up ${g ? 1 : 0}`];
  if (!g) return up;
  const v = g.versions;
  const mv = (x: { model: string; version: number }) => ({ model: x.model, version: x.version });
  return [
    ...up,
    ...gauge('sentiment_drift_psi', 'PSI of each feature (tokens, unknownShare, confidence, label) between the last drift window and the reference profile, per aliased version (latest hourly report).', v.flatMap((x) => x.psi.map((p): [Record<string, string | number>, number] => [{ ...mv(x), feature: p.feature }, p.value]))),
    ...gauge('sentiment_drift_window_rows', 'History rows in the latest drift window, per aliased version.', v.map((x) => [mv(x), x.rows])),
    ...gauge('sentiment_drift_alert_open', '1 for each feature with an open drift alert.', g.openAlerts.map((a) => [{ model: a.model, version: a.version, feature: a.feature }, 1])),
    ...gauge('sentiment_estimated_accuracy', 'Expected accuracy from the model’s confidences in the latest window (CBPE; only as good as the calibration).', v.flatMap((x) => (x.estimatedAccuracy ? [[mv(x), x.estimatedAccuracy.estimate] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_estimated_accuracy_lower', 'Lower end of the 95 % band of sentiment_estimated_accuracy.', v.flatMap((x) => (x.estimatedAccuracy ? [[mv(x), x.estimatedAccuracy.low] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_estimated_accuracy_upper', 'Upper end of the 95 % band of sentiment_estimated_accuracy.', v.flatMap((x) => (x.estimatedAccuracy ? [[mv(x), x.estimatedAccuracy.high] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_realised_accuracy', 'Accuracy on predictions users labelled (feedback) in the latest window, where there is any.', v.flatMap((x) => (x.realisedAccuracy !== null ? [[mv(x), x.realisedAccuracy] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_shadow_agreement', 'Share of shadow-scored texts on which the challenger predicted the champion’s label, per champion version (latest window).', v.flatMap((x) => (x.shadow ? [[{ ...mv(x), challenger: x.shadow.challenger }, x.shadow.agreement] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_shadow_label_mix_difference', 'Total variation distance between champion and challenger label mixes on the shadow-scored texts (latest window).', v.flatMap((x) => (x.shadow?.labelMixDifference != null ? [[{ ...mv(x), challenger: x.shadow.challenger }, x.shadow.labelMixDifference] as [Record<string, number | string>, number]] : []))),
    ...gauge('sentiment_shadow_challenger_confidence', 'Mean top-class probability of the challenger on the shadow-scored texts (latest window).', v.flatMap((x) => (x.shadow?.challengerMeanConfidence != null ? [[{ ...mv(x), challenger: x.shadow.challenger }, x.shadow.challengerMeanConfidence] as [Record<string, number | string>, number]] : []))),
  ];
}
