/**
 * The zod-free half of the HTTP contract shared by worker (server), training and web (clients): the API
 * prefix, error codes, route paths and limits. The request and response schemas (and the types inferred from
 * them) are in models-api.ts and serving-api.ts. All routes live under API_PREFIX. Errors always have the
 * shape ApiErrorBody.
 */
export const API_PREFIX = '/api/v1';

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'sha256_mismatch'
  | 'upload_incomplete'
  | 'not_ready'
  | 'rate_limited'
  | 'precision_unavailable'
  | 'model_unavailable'
  | 'internal';

export interface ApiErrorBody {
  error: { code: ErrorCode | (string & {}); message: string; details?: unknown };
}

/** Route paths, so servers and clients cannot disagree on spelling. */
export const routes = {
  models: () => `${API_PREFIX}/models`,
  model: (name: string) => `${API_PREFIX}/models/${enc(name)}`,
  versions: (name: string) => `${API_PREFIX}/models/${enc(name)}/versions`,
  version: (name: string, version: number) => `${API_PREFIX}/models/${enc(name)}/versions/${version}`,
  /** GET a version by number or alias: `…/refs/3` or `…/refs/champion`. */
  ref: (name: string, ref: string | number) => `${API_PREFIX}/models/${enc(name)}/refs/${enc(String(ref))}`,
  file: (name: string, version: number, path: string) =>
    `${API_PREFIX}/models/${enc(name)}/versions/${version}/files/${path.split('/').map(enc).join('/')}`,
  finalize: (name: string, version: number) => `${API_PREFIX}/models/${enc(name)}/versions/${version}/finalize`,
  archive: (name: string, version: number) => `${API_PREFIX}/models/${enc(name)}/versions/${version}/archive`,
  aliases: (name: string) => `${API_PREFIX}/models/${enc(name)}/aliases`,
  alias: (name: string, alias: string) => `${API_PREFIX}/models/${enc(name)}/aliases/${enc(alias)}`,
  aliasHistory: (name: string, alias: string) => `${API_PREFIX}/models/${enc(name)}/aliases/${enc(alias)}/history`,
  /** API keys (admin only). */
  keys: () => `${API_PREFIX}/keys`,
  key: (name: string) => `${API_PREFIX}/keys/${enc(name)}`,
  /** What the caller's own key or token may do (any valid key or token). */
  keyMe: () => `${API_PREFIX}/keys/me`,
} as const;

function enc(s: string): string {
  return encodeURIComponent(s);
}

// ---- Serving: limits and paths -------------------------------------------------------------

export const MAX_TEXTS = 256;
export const MAX_TEXT_CHARS = 5000;
export const MAX_HISTORY_BATCH = 500;

export const servingRoutes = {
  predict: () => `${API_PREFIX}/predict`,
  history: () => `${API_PREFIX}/history`,
  modelInfo: () => `${API_PREFIX}/model-info`,
  reload: () => `${API_PREFIX}/admin/reload`,
  /** Drift reports and alert state per model (`?model=NAME`). */
  drift: () => `${API_PREFIX}/drift`,
  /** A/B readout of two versions (`?model=NAME&a=V1&b=V2[&days=N]`). */
  ab: () => `${API_PREFIX}/ab`,
} as const;

/**
 * Promotion policy and its decisions (registry/src/policy.ts). Here, not beside the policy's zod schema, so
 * that the API client (and the PWA that bundles it) does not pull in zod.
 */
export const policyRoutes = {
  policy: (name: string) => `${API_PREFIX}/models/${encodeURIComponent(name)}/policy`,
  decisions: (name: string) => `${API_PREFIX}/models/${encodeURIComponent(name)}/decisions`,
} as const;
