/** The classification metrics live in the registry core (one implementation for training and the Worker). */
export { argmax, computeMetrics, expectedCalibrationError, summarizeMetrics } from '@sentiment-edge/registry';
export type { ClassMetricValues as ClassMetrics, Metrics } from '@sentiment-edge/registry';
