/**
 * Typed client for the Worker API, used by training (publish), the registry CLI, tests and the web app.
 * Platform-neutral: only fetch, Web Crypto and Uint8Array.
 */
import { policyRoutes, routes, servingRoutes, type ApiErrorBody } from './api.ts';
import type { AliasEvent, AliasRecord, CreateVersionResponse, ListModelsResponse, ListVersionsResponse, ModelSummary, SetAliasRequest, UploadFileResponse } from './models-api.ts';
import type { HistoryPage, HistoryQuery, HistoryRecord, HistorySyncResponse, ModelInfoResponse, PredictManyResponse, PredictOneResponse } from './serving-api.ts';
import { evaluationRoutes, type EvaluationList, type EvaluationQuery, type EvaluationRequest, type EvaluationRun, type FeedbackItem, type FeedbackResponse, type RealisedAccuracyResponse } from './feedback-api.ts';
import type { DriftListing, DriftQuery } from './drift-api.ts';
import type { AbQuery, AbReadout } from './ab-api.ts';
import { CLIENT_KEY_HEADER } from './canary.ts';
import type { DecisionList, PolicyResponse, PromotionPolicyInput } from './policy.ts';
import type { Manifest, ManifestDraft, ModelFile } from './manifest.ts';
import { parseModelRef } from './ref.ts';
import type { ApiKeyInfo, CreatedKey, CreateKeyRequest, KeyList, KeySelf } from './keys-api.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** Base URL of the Worker, e.g. http://127.0.0.1:8787 (no trailing /api/v1). */
  baseUrl: string;
  /** Bearer token for writes. */
  token?: string;
  fetch?: typeof fetch;
  /** How often a queued evaluation run (202) is polled until it finishes (ms; default 1000). */
  pollIntervalMs?: number;
  /** How long a queued evaluation run is waited for before giving up (ms; default 30 minutes). */
  pollTimeoutMs?: number;
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly doFetch: typeof fetch;
  private readonly pollIntervalMs: number;
  private readonly pollTimeoutMs: number;

  constructor({ baseUrl, token, fetch: f, pollIntervalMs = 1000, pollTimeoutMs = 30 * 60_000 }: ClientOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
    this.doFetch = f ?? ((input, init) => globalThis.fetch(input, init));
    this.pollIntervalMs = pollIntervalMs;
    this.pollTimeoutMs = pollTimeoutMs;
  }

  // ---- registry reads ----
  listModels(): Promise<ListModelsResponse> {
    return this.json('GET', routes.models());
  }
  getModel(name: string): Promise<ModelSummary> {
    return this.json('GET', routes.model(name));
  }
  listVersions(name: string): Promise<ListVersionsResponse> {
    return this.json('GET', routes.versions(name));
  }
  getVersion(name: string, version: number): Promise<Manifest> {
    return this.json('GET', routes.version(name, version));
  }
  /** Resolves `NAME`, `NAME@VERSION` or `NAME@ALIAS` (a bare NAME means its champion). */
  resolve(ref: string): Promise<Manifest> {
    const r = parseModelRef(ref);
    return this.json('GET', routes.ref(r.name, r.kind === 'version' ? r.version : r.kind === 'alias' ? r.alias : 'champion'));
  }
  async downloadFile(name: string, version: number, path: string): Promise<Uint8Array> {
    const res = await this.request('GET', routes.file(name, version, path));
    return new Uint8Array(await res.arrayBuffer());
  }
  listAliases(name: string): Promise<{ aliases: AliasRecord[] }> {
    return this.json('GET', routes.aliases(name));
  }
  getAlias(name: string, alias: string): Promise<AliasRecord> {
    return this.json('GET', routes.alias(name, alias));
  }
  aliasHistory(name: string, alias: string): Promise<{ events: AliasEvent[] }> {
    return this.json('GET', routes.aliasHistory(name, alias));
  }

  // ---- registry writes (need the token) ----
  createVersion(draft: ManifestDraft): Promise<CreateVersionResponse> {
    return this.json('POST', routes.versions(draft.name), draft);
  }
  uploadFile(name: string, version: number, path: string, bytes: Uint8Array): Promise<UploadFileResponse> {
    return this.json('PUT', routes.file(name, version, path), bytes);
  }
  finalize(name: string, version: number): Promise<Manifest> {
    return this.json('POST', routes.finalize(name, version));
  }
  archive(name: string, version: number): Promise<Manifest> {
    return this.json('POST', routes.archive(name, version));
  }
  setAlias(name: string, alias: string, body: SetAliasRequest): Promise<AliasRecord> {
    return this.json('PUT', routes.alias(name, alias), body);
  }
  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.request('DELETE', routes.alias(name, alias));
  }

  // ---- promotion policy: set/read need the token (reads: or READ_TOKEN) ----
  /** Replaces the model's promotion policy; fields left out take their defaults (registry/src/policy.ts). */
  setPolicy(name: string, policy: PromotionPolicyInput): Promise<PolicyResponse> {
    return this.json('PUT', policyRoutes.policy(name), policy);
  }
  getPolicy(name: string): Promise<PolicyResponse> {
    return this.json('GET', policyRoutes.policy(name));
  }
  /** The hourly job's promote / hold / roll back decisions for the model, newest first. */
  listDecisions(name: string, n?: number): Promise<DecisionList> {
    return this.json('GET', `${policyRoutes.decisions(name)}${n === undefined ? '' : `?n=${n}`}`);
  }

  /**
   * Publishes a model: manifest first, then every file, then finalize. The version stays
   * invisible to readers until finalize succeeds.
   */
  async publish(
    draft: Omit<ManifestDraft, 'files'>,
    files: ReadonlyMap<string, Uint8Array>,
    onFile?: (path: string, bytes: number) => void,
  ): Promise<Manifest> {
    const described: ModelFile[] = [];
    for (const [path, bytes] of files) described.push({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
    const { manifest } = await this.createVersion({ ...draft, files: described });
    for (const [path, bytes] of files) {
      await this.uploadFile(manifest.name, manifest.version, path, bytes);
      onFile?.(path, bytes.byteLength);
    }
    return this.finalize(manifest.name, manifest.version);
  }

  // ---- serving ----
  /** `clientKey`: the client's stable id for the canary share (sent as the X-Client-Key header). */
  predict(text: string, model?: string, clientKey?: string): Promise<PredictOneResponse> {
    return this.json('POST', servingRoutes.predict(), model ? { text, model } : { text }, undefined, clientKey ? { [CLIENT_KEY_HEADER]: clientKey } : undefined);
  }
  predictMany(texts: string[], model?: string): Promise<PredictManyResponse> {
    return this.json('POST', servingRoutes.predict(), model ? { texts, model } : { texts });
  }
  history(query: HistoryQuery = {}): Promise<HistoryPage> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    return this.json('GET', servingRoutes.history() + (s ? `?${s}` : ''));
  }
  syncHistory(items: HistoryRecord[]): Promise<HistorySyncResponse> {
    return this.json('POST', servingRoutes.history(), { items });
  }
  modelInfo(): Promise<ModelInfoResponse> {
    return this.json('GET', servingRoutes.modelInfo());
  }
  reload(): Promise<{ reloaded: string[] }> {
    return this.json('POST', servingRoutes.reload());
  }

  // ---- evaluations and feedback ----
  /**
   * Scores an R2 dataset (`dataset`) or records numbers computed elsewhere (`result`). A big dataset is queued
   * by the Worker (202): this waits for it (`finishedRun`), so the answer is always the finished run.
   */
  async createEvaluation(body: EvaluationRequest): Promise<EvaluationRun> {
    return this.finishedRun(await this.request('POST', evaluationRoutes.evaluations(), body));
  }
  /** Uploads a labelled CSV (text,label) and has the Worker score it (waiting for a queued run); it is kept in R2 as `datasets/<dataset>`. */
  async evaluateCsv(csv: string | Uint8Array, query: { model: string; dataset: string; precision?: 'int8' | 'fp32' }): Promise<EvaluationRun> {
    const qs = new URLSearchParams({ model: query.model, dataset: query.dataset, ...(query.precision ? { precision: query.precision } : {}) });
    return this.finishedRun(await this.request('POST', `${evaluationRoutes.evaluations()}?${qs}`, typeof csv === 'string' ? new TextEncoder().encode(csv) : csv, 'text/csv'));
  }
  /** One evaluation run by id (public). */
  getEvaluation(id: string): Promise<EvaluationRun> {
    return this.json('GET', evaluationRoutes.evaluation(id));
  }
  /**
   * The run a POST answered: 201 is finished; 202 is queued, polled every pollIntervalMs until it is 'succeeded'
   * (returned) or 'failed' (thrown as ApiError 'evaluation_failed' with the run's error), at most pollTimeoutMs.
   */
  private async finishedRun(res: Response): Promise<EvaluationRun> {
    let run = (await res.json()) as EvaluationRun;
    if (res.status !== 202) return run;
    const deadline = Date.now() + this.pollTimeoutMs;
    while (run.status === 'running') {
      if (Date.now() > deadline) {
        throw new ApiError(0, 'timeout', `evaluation ${run.id} is still running after ${Math.round(this.pollTimeoutMs / 1000)} s; see GET ${evaluationRoutes.evaluation(run.id)} later`, { run });
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
      run = await this.getEvaluation(run.id);
    }
    if (run.status === 'failed') throw new ApiError(500, 'evaluation_failed', `evaluation ${run.id} failed: ${run.error ?? 'no reason recorded'}`, { run });
    return run;
  }
  listEvaluations(query: EvaluationQuery = {}): Promise<EvaluationList> {
    return this.json('GET', evaluationRoutes.evaluations() + queryString(query));
  }
  sendFeedback(items: FeedbackItem[]): Promise<FeedbackResponse> {
    return this.json('POST', evaluationRoutes.feedback(), { items });
  }
  /** CSV `text,label` of corrected texts (needs REGISTRY_TOKEN). */
  async exportFeedback(query: { model?: string; since?: string } = {}): Promise<string> {
    return (await this.request('GET', evaluationRoutes.feedbackExport() + queryString(query))).text();
  }
  realisedAccuracy(query: { model?: string; days?: number } = {}): Promise<RealisedAccuracyResponse> {
    return this.json('GET', evaluationRoutes.feedbackAccuracy() + queryString(query));
  }

  // ---- monitoring ----
  /** The model's drift reports, newest first, and its alerts (needs REGISTRY_TOKEN or READ_TOKEN). */
  drift(query: DriftQuery): Promise<DriftListing> {
    return this.json('GET', servingRoutes.drift() + queryString(query));
  }
  /** Two versions compared over their overlapping traffic (needs REGISTRY_TOKEN or READ_TOKEN). */
  ab(query: AbQuery): Promise<AbReadout> {
    return this.json('GET', servingRoutes.ab() + queryString(query));
  }

  // ---- API keys (admin: REGISTRY_TOKEN or an admin key) ----
  /** Creates a key; the answer carries the key itself, this once. */
  createKey(body: CreateKeyRequest): Promise<CreatedKey> {
    return this.json('POST', routes.keys(), body);
  }
  async listKeys(): Promise<ApiKeyInfo[]> {
    return (await this.json<KeyList>('GET', routes.keys())).keys;
  }
  revokeKey(name: string): Promise<ApiKeyInfo> {
    return this.json('DELETE', routes.key(name));
  }
  /** What this client's key or token is and may do (any valid key or token; 401/403 otherwise). */
  keyMe(): Promise<KeySelf> {
    return this.json('GET', routes.keyMe());
  }

  // ---- plumbing ----
  private async json<T>(method: string, path: string, body?: unknown, contentType?: string, extraHeaders?: Record<string, string>): Promise<T> {
    const res = await this.request(method, path, body, contentType, extraHeaders);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown, contentType = 'application/octet-stream', extraHeaders?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = contentType;
      payload = body as unknown as BodyInit;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.doFetch(this.baseUrl + path, { method, headers, body: payload });
    } catch (e) {
      throw new ApiError(0, 'network_error', `cannot reach ${this.baseUrl}: ${(e as Error).message}. Is the Worker running (pnpm dev)?`);
    }
    if (!res.ok && res.status !== 304) throw await toApiError(res);
    return res;
  }
}

function queryString(query: object): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as ApiErrorBody;
    if (body?.error?.code) return new ApiError(res.status, body.error.code, body.error.message, body.error.details);
  } catch {
    // not our error shape: fall through
  }
  return new ApiError(res.status, 'http_error', `HTTP ${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
}

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest('SHA-256', data as unknown as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
