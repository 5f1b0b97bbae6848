/**
 * The Worker's bindings. wrangler.toml declares them (each var, secret and binding is explained there and in
 * the README's "Configuration" table) and `pnpm --filter @sentiment-edge/worker types` (`wrangler types`)
 * generates src/worker-configuration.d.ts from it: the global `Cloudflare.Env`. Do not edit that file;
 * `pnpm --filter @sentiment-edge/worker types:check` (and test/deploy-config.test.ts) fails when it is stale.
 *
 * Only the optional secrets are declared here: wrangler's `[secrets] required` has no optional kind.
 */
export interface Env extends Cloudflare.Env {
  /** Optional read-only token (secret): reads prediction history, nothing else. */
  READ_TOKEN?: string;
  /** Optional secret: feedback sent with it (or REGISTRY_TOKEN) is trusted, i.e. counts in realised accuracy and the feedback export. */
  FEEDBACK_TOKEN?: string;
  /** Optional bearer token (secret) for GET /metrics; unset: /metrics is public. */
  METRICS_TOKEN?: string;
  /** Optional secret: where drift alerts are POSTed (unset: none sent). */
  ALERT_WEBHOOK_URL?: string;
  /** Optional secret: the HMAC-SHA256 key of the alert signature (X-Sentiment-Signature-256). */
  ALERT_WEBHOOK_SECRET?: string;
  /** Optional secret: bearer token of the retraining dispatch (RETRAIN_DISPATCH_URL), e.g. a GitHub token allowed to create repository_dispatch events. */
  RETRAIN_DISPATCH_TOKEN?: string;
}

/** Who is calling, once a role guard (auth.ts requireRole) has resolved and accepted the bearer token. */
export interface Caller {
  /** The API key's name, or the Worker secret's name ('REGISTRY_TOKEN', 'READ_TOKEN'). */
  name: string;
  role: 'reader' | 'publisher' | 'operator' | 'admin';
  /** The models the caller may act on; null = every model. */
  models: string[] | null;
  /** An API key's expiry (absent for the Worker secrets). */
  expiresAt?: string | null;
}

export type AppEnv = { Bindings: Env; Variables: { caller?: Caller } };

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

export function maxFileBytes(env: Pick<Env, 'MAX_FILE_BYTES'>): number {
  const n = Number(env.MAX_FILE_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_FILE_BYTES;
}
