/**
 * Realised accuracy: accuracy measured on labels users gave (feedback, issue 11 part 2), shown beside the
 * estimated one in the drift report and /metrics. The monitoring job reads it through this type (run.ts
 * `MonitorOptions.realised`; default db/feedback.ts `windowRealisedAccuracy`). A version with no feedback in
 * the window reports `realisedAccuracy: null`: "not measured", never 0.
 */
export type RealisedAccuracySource = (db: D1Database, name: string, version: number, start: string, end: string) => Promise<{ accuracy: number; rows: number } | null>;
