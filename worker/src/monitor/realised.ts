/**
 * Realised accuracy: the hook through which the drift report (and /metrics) show accuracy measured
 * on labels users gave (feedback, issue 11 part 2) beside the estimated one. The monitoring job takes
 * the source as an option (run.ts `MonitorOptions.realised`); the feedback work provides one that
 * reads its table (accuracy of a version's predictions that received a label, within the window).
 * Until then no source exists and reports say `realisedAccuracy: null` — "not measured", never 0.
 */
export type RealisedAccuracySource = (db: D1Database, name: string, version: number, start: string, end: string) => Promise<{ accuracy: number; rows: number } | null>;

/** The source used while no feedback table exists: nothing is measured. */
export const noRealisedAccuracy: RealisedAccuracySource = async () => null;
