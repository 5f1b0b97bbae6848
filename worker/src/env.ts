/** The Worker's bindings, as declared in the root wrangler.toml (plus the REGISTRY_TOKEN secret). */
export interface Env {
  DB: D1Database;
  /** Model files, keyed `models/<name>/<version>/<path>`. */
  MODELS: R2Bucket;
  /** The PWA (web/dist); absent in tests. */
  ASSETS?: Fetcher;
  DEFAULT_MODEL: string;
  STORE_TEXT: string;
  /** Largest accepted model file in bytes (decimal string); default 100 MiB. */
  MAX_FILE_BYTES?: string;
  /** Origins (comma-separated) that browsers may call the API from, besides the Worker's own; empty = same origin only. */
  ALLOWED_ORIGINS?: string;
  /** Bearer token for registry writes (secret). Writes are refused while it is unset. */
  REGISTRY_TOKEN?: string;
  /** Optional read-only token (secret): reads prediction history, nothing else. */
  READ_TOKEN?: string;
  /** Optional bearer token (secret) for GET /metrics; unset: /metrics is public. */
  METRICS_TOKEN?: string;
  /** Monitoring (monitor/config.ts has the defaults and the checks): the drift job's window (hours) and minimum rows. */
  DRIFT_WINDOW_HOURS?: string;
  DRIFT_MIN_ROWS?: string;
  /** PSI threshold and test significance level of a feature's drift check (Evidently's defaults 0.1 and 0.05). */
  DRIFT_PSI_THRESHOLD?: string;
  DRIFT_P_VALUE?: string;
  /** Share (0-1) of edge /predict requests answered by a champion that its challenger also scores. */
  SHADOW_RATE?: string;
  /** History rows (and shadow rows) older than this many days are deleted by the scheduled job. */
  HISTORY_DAYS?: string;
  /** Where drift alerts are POSTed, signed with HMAC-SHA256 of the body under ALERT_WEBHOOK_SECRET (a secret). */
  ALERT_WEBHOOK_URL?: string;
  ALERT_WEBHOOK_SECRET?: string;
  /** Delivery attempts per alert and the first backoff (ms, doubled per attempt). */
  ALERT_WEBHOOK_ATTEMPTS?: string;
  ALERT_WEBHOOK_BACKOFF_MS?: string;
  /** Per-client limits (Workers Rate Limiting bindings); absent: not limited. See rate-limit.ts. */
  PREDICT_LIMITER?: RateLimit;
  HISTORY_LIMITER?: RateLimit;
  AUTH_LIMITER?: RateLimit;
}

export type AppEnv = { Bindings: Env };

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

export function maxFileBytes(env: Pick<Env, 'MAX_FILE_BYTES'>): number {
  const n = Number(env.MAX_FILE_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_FILE_BYTES;
}
