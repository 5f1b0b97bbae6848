/**
 * The registry/serving HTTP contract shared by worker (server), training and web (clients).
 * All routes live under API_PREFIX. Errors always have the shape ApiErrorBody.
 */
import type { Manifest } from './manifest.ts';

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

export interface ModelSummary {
  name: string;
  /** Number of ready (finalized, not archived) versions. */
  versionCount: number;
  latestVersion: number | null;
  /** alias → version */
  aliases: Record<string, number>;
  createdAt: string;
  updatedAt: string;
}

export interface ListModelsResponse {
  models: ModelSummary[];
}

export interface ListVersionsResponse {
  versions: Manifest[];
}

export interface CreateVersionResponse {
  manifest: Manifest;
  /** Relative URLs (under API_PREFIX) to PUT each file's bytes to. */
  uploads: { path: string; url: string }[];
}

export interface UploadFileResponse {
  path: string;
  sha256: string;
  bytes: number;
}

export interface AliasRecord {
  name: string;
  alias: string;
  version: number;
  updatedAt: string;
  /** Only on the `canary` alias: the share (0–1) of the champion's traffic it serves (registry canary.ts). */
  share?: number;
}

export interface AliasEvent {
  id: number;
  name: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number | null;
  at: string;
  reason: string | null;
  /** The canary's share after the move (only on `canary` moves that are not deletions). */
  share?: number;
  /** Who moved it: 'operator' (a request with the token), 'policy' (the hourly promotion policy); null before migration 0008. */
  actor: string | null;
}

export interface SetAliasRequest {
  version: number;
  /**
   * Optimistic concurrency: the version the caller believes the alias points at now
   * (null = the alias must not exist yet). Omit to move unconditionally.
   */
  expectedVersion?: number | null;
  reason?: string;
  /** Required on (and only on) the `canary` alias: the share (0–1) of the champion's traffic it serves. */
  share?: number;
  /** With expectedVersion, on `canary`: the share the caller believes it has now (compare-and-set of a share change). */
  expectedShare?: number;
}

export interface HealthResponse {
  status: 'ok' | 'degraded';
  version: string;
  time: string;
}

export interface ReadyResponse {
  ready: boolean;
  checks: Record<string, { ok: boolean; message?: string }>;
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
} as const;

function enc(s: string): string {
  return encodeURIComponent(s);
}

// ---- Serving (issue: edge serving) --------------------------------------------------------

export const MAX_TEXTS = 256;
export const MAX_TEXT_CHARS = 5000;
export const MAX_HISTORY_BATCH = 500;

export interface PredictRequest {
  text?: string;
  texts?: string[];
  /** `NAME`, `NAME@VERSION` or `NAME@ALIAS`; default: the default model's champion. */
  model?: string;
  /**
   * Who is asking, for the canary share (registry canary.ts): a stable id per client (the PWA sends a
   * random id kept in localStorage). Also accepted as the X-Client-Key header; without either the
   * Worker uses the caller's IP address (CF-Connecting-IP), and without that the champion answers.
   */
  clientKey?: string;
}

export interface Prediction {
  label: string;
  /** Probability of `label` (the confidence). */
  score: number;
  /** label → probability, every label of the model. */
  probabilities: Record<string, number>;
}

export interface ModelVersionRef {
  name: string;
  version: number;
}

/** A prediction made by the Worker's /predict. */
export interface EdgePrediction extends Prediction {
  /** Its history row's id: `POST /api/v1/feedback` with it corrects this answer. */
  id: string;
  /**
   * The text's language and whether the model was trained on it (registry/src/language.ts states the rule:
   * `detected` is null for texts under 20 characters or that the detector cannot place; `supported` is false only
   * for a confident detection of a language the model does not know).
   */
  language: { detected: string | null; supported: boolean };
}

/** Answer to `{text}`. */
export interface PredictOneResponse extends EdgePrediction {
  /** The version that served the answer (the canary's, for clients in its share). */
  model: ModelVersionRef;
  /** How that version was chosen: `NAME@champion`, `NAME@canary` (a champion request in the canary's share), `NAME@challenger`, `NAME@3`. */
  ref: string;
  latencyMs: number;
}

/** Answer to `{texts}`: predictions in input order. */
export interface PredictManyResponse {
  predictions: EdgePrediction[];
  model: ModelVersionRef;
  ref: string;
  latencyMs: number;
}

export type PredictionSource = 'edge' | 'browser';

export interface HistoryRecord {
  /** Client-made id (UUID) for browser rows, server-made for edge rows; the idempotency key. */
  id: string;
  createdAt: string;
  model: ModelVersionRef;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  textLength: number;
  /** sha256 of the text (hex). */
  textSha256: string;
  /** The text itself, only where the deployment stores texts (STORE_TEXT). */
  text: string | null;
  source: PredictionSource;
  latencyMs: number;
  /**
   * Word pieces the model saw (special tokens left out) and the share of them that were the unknown
   * token: what drift monitoring compares with the version's reference profile (registry drift.ts),
   * kept even when the text is not. Null on rows from clients that do not send them.
   */
  tokens?: number | null;
  unknownShare?: number | null;
}

export interface HistoryQuery {
  n?: number;
  cursor?: string;
  label?: string;
  model?: string;
  source?: PredictionSource;
}

export interface HistoryPage {
  items: HistoryRecord[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

export interface HistorySyncResponse {
  /** Rows newly stored. */
  inserted: number;
  /** Rows already present (same id): a retried sync. */
  duplicates: number;
}

export interface VersionInfo {
  version: number;
  labels: string[];
  metrics: { accuracy: number; macroF1: number; macroRecall: number; dataset: string };
  createdAt: string;
  bytes: number;
  /** Whether this Worker isolate has the version's ONNX session loaded. */
  loaded: boolean;
}

export interface ModelInfo {
  name: string;
  champion: VersionInfo | null;
  challenger: VersionInfo | null;
}

export interface ModelInfoResponse {
  defaultModel: string;
  models: ModelInfo[];
}

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
