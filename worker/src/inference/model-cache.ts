/**
 * ONNX sessions cached per isolate, keyed by model name + version + precision. A version's files
 * are immutable, so a cached session is valid until evicted: when an alias that pointed at it
 * moves (see serving/resolve.ts), when the cache is full (least recently used first), or on reload.
 *
 * Concurrent requests for the same version share one load, but never its promise. In workerd a
 * request that awaits a promise settled by another request's I/O resumes inside that other
 * request's context, and the Response it then builds belongs to the wrong request: workerd fails it
 * with a plain-text 500 "Cannot perform I/O on behalf of a different request" (seen under load).
 * So the request that starts a load awaits its own I/O, and every other request waits on its own
 * timers until the loaded model (plain data: bytes already read, a session) is in the cache.
 */
import { createClassifier, MODEL_LAYOUT, readModelConfig, type Classifier, type TokenStats } from '@sentiment-edge/registry';
import { Tokenizer } from '@huggingface/tokenizers';
import { ApiError } from '../errors.ts';
import { getVersion } from '../db/versions.ts';
import { servedObjectKeys } from '../db/version-files.ts';
import { objectKey } from '../storage/files.ts';
import { createSession, Tensor, type Session } from './ort.ts';

/** int8: onnx/model_quantized.onnx (the default); fp32: onnx/model.onnx. */
export type Precision = 'int8' | 'fp32';
export const PRECISIONS: readonly Precision[] = ['int8', 'fp32'];
/** What /predict serves when the request names no precision, and all that anonymous requests get. */
export const DEFAULT_PRECISION: Precision = 'int8';

export function onnxPath(precision: Precision): string {
  return precision === 'fp32' ? MODEL_LAYOUT.onnx : MODEL_LAYOUT.onnxQuantized;
}

export interface LoadedModel {
  name: string;
  version: number;
  precision: Precision;
  labels: readonly string[];
  classifier: Classifier;
  /** Bytes read from R2 (ONNX + tokenizer + configs). */
  bytes: number;
  loadMs: number;
  loadedAt: number;
  session: Session;
  /** Runs in progress on the session; an evicted session is released when this reaches 0. */
  inflight: number;
  evicted: boolean;
}

/** Classifies on a cached model, releasing its session afterwards if it was evicted meanwhile. */
export async function classify(m: LoadedModel, texts: readonly string[]): Promise<Float32Array[]> {
  return (await analyze(m, texts)).probabilities;
}

/** classify() plus each text's token statistics (for drift monitoring), from the same tokenization. */
export async function analyze(m: LoadedModel, texts: readonly string[]): Promise<{ probabilities: Float32Array[]; stats: TokenStats[] }> {
  m.inflight++;
  try {
    return await m.classifier.analyze(texts);
  } finally {
    m.inflight--;
    if (m.evicted && m.inflight === 0) void release(m);
  }
}

async function release(m: LoadedModel): Promise<void> {
  try {
    await m.session.release();
  } catch (e) {
    console.warn(`releasing session ${m.name}@${m.version}:${m.precision} failed`, e);
  }
}

/** Most sessions one isolate keeps (128 MB per isolate; a small int8 model is a few MB). */
export const MAX_SESSIONS = 4;
/** How long a request waits for another request's load before answering 503 (Retry-After). */
export const LOAD_WAIT_MS = 15_000;
/** How long a failed load is remembered: requests meanwhile get its error at once instead of loading the version again. */
export const FAILED_LOAD_MS = 30_000;
/** Most failed loads remembered (a bound on memory; they are few: only champion and canary reach anonymous traffic). */
const MAX_REMEMBERED_FAILURES = 64;
/** A load unfinished after this long is taken as abandoned (its request was cancelled) and started again. */
export const LOAD_STALE_MS = 20_000;
/** Retry-After (seconds) sent when a model is still loading for another request. */
export const LOADING_RETRY_S = 2;

/** 503: another request's load of this version takes longer than the wait; not the version's fault (not counted in its error rate). */
export class StillLoading extends ApiError {
  constructor(name: string, version: number) {
    super(503, 'not_ready', `model ${name} version ${version} is still loading; try again in a moment`, { name, version }, { 'Retry-After': String(LOADING_RETRY_S) });
  }
}

/** 503: the version's files do not load (a broken graph, a config.json whose labels are not the manifest's, …). */
export class ModelUnavailable extends ApiError {
  constructor(name: string, version: number, cause: string) {
    super(
      503,
      'model_unavailable',
      `model ${name} version ${version} cannot be loaded: ${cause}. Requests for it fail at once for ${FAILED_LOAD_MS / 1000} s before it is tried again; publish a fixed version and move the alias (POST /api/v1/admin/reload retries at once)`,
      { name, version, cause },
      { 'Retry-After': String(FAILED_LOAD_MS / 1000) },
    );
  }
}

/**
 * Whether a failure of /predict after resolving is the version's own fault, counted in its error rate
 * (monitor/version-errors.ts): not a 4xx (a precision it does not have, say), not a wait for another request's load.
 */
export function versionAtFault(e: unknown): boolean {
  return !(e instanceof StillLoading) && !(e instanceof ApiError && e.status < 500);
}

const key = (name: string, version: number, precision: Precision) => `${name}@${version}:${precision}`;

/** Where a model's files are: the D1 database that records their R2 keys, and the bucket. */
export interface ModelStore {
  DB: D1Database;
  MODELS: R2Bucket;
}

async function readObject(bucket: R2Bucket, keys: ReadonlyMap<string, string>, name: string, version: number, path: string): Promise<Uint8Array> {
  const obj = await bucket.get(keys.get(path) ?? objectKey(name, version, path));
  if (!obj) {
    throw new ApiError(503, 'not_ready', `model ${name} version ${version} has no ${path} in R2; re-upload the version's files`, { name, version, path }, { 'Retry-After': '60' });
  }
  return new Uint8Array(await obj.arrayBuffer());
}

async function loadModel(store: ModelStore, name: string, version: number, precision: Precision): Promise<LoadedModel> {
  const started = Date.now();
  const [keys, manifest] = await Promise.all([servedObjectKeys(store.DB, name, version), getVersion(store.DB, name, version)]);
  // The version's declared files (a version the registry does not know, as in the cache's own tests, is read from R2 as asked).
  const files = new Set(manifest?.files.map((f) => f.path) ?? PRECISIONS.map(onnxPath));
  if (!files.has(onnxPath(precision))) {
    // Without its default graph the version cannot serve default requests: its own fault (503, counted).
    if (precision === DEFAULT_PRECISION) throw new ModelUnavailable(name, version, `it has no ${precision} graph (${onnxPath(precision)})`);
    // A precision the client asked for that the version lacks: the client's to change (404, not counted).
    const other = PRECISIONS.filter((p) => files.has(onnxPath(p)));
    throw new ApiError(404, 'precision_unavailable', `model ${name} version ${version} has no ${precision} graph (${onnxPath(precision)}); ask for ${other.join(' or ') || 'another version'}`, { name, version, precision, available: other });
  }
  const read = (path: string) => readObject(store.MODELS, keys, name, version, path);
  const [config, tokenizerJson, tokenizerConfig, onnx] = await Promise.all([read(MODEL_LAYOUT.config), read(MODEL_LAYOUT.tokenizer), read(MODEL_LAYOUT.tokenizerConfig), read(onnxPath(precision))]);
  const text = new TextDecoder();
  const [cfg, tj, tc] = [config, tokenizerJson, tokenizerConfig].map((b) => JSON.parse(text.decode(b)) as Record<string, unknown>) as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const modelConfig = readModelConfig(cfg, tc, tj);
  const declared = manifest?.labels ?? modelConfig.labels;
  if (modelConfig.labels.length !== declared.length || modelConfig.labels.some((l, i) => l !== declared[i])) {
    throw new ModelUnavailable(name, version, `config.json's labels (${modelConfig.labels.join(', ')}) are not the manifest's (${declared.join(', ')})`);
  }
  const tokenizer = new Tokenizer(tj, tc);
  const session: Session = await createSession(onnx);
  const classifier = createClassifier(Tensor, session, tokenizer, modelConfig);
  const bytes = config.byteLength + tokenizerJson.byteLength + tokenizerConfig.byteLength + onnx.byteLength;
  return { name, version, precision, labels: modelConfig.labels, classifier, bytes, loadMs: Date.now() - started, loadedAt: Date.now(), session, inflight: 0, evicted: false };
}


/** One cache entry: a load in progress (`model` null) or a loaded model. */
interface Slot {
  model: LoadedModel | null;
  /** Set when the load failed; waiters rethrow it. */
  error: unknown;
  startedAt: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ModelCache {
  /** Insertion order is recency order (least recently used first). */
  private readonly slots = new Map<string, Slot>();
  /** Loads that failed through the version's fault, and until when their error is answered without loading again. */
  private readonly failures = new Map<string, { error: unknown; until: number }>();

  constructor(
    private readonly maxSessions = MAX_SESSIONS,
    private readonly timing = { waitMs: LOAD_WAIT_MS, staleMs: LOAD_STALE_MS, failedMs: FAILED_LOAD_MS },
  ) {}

  /**
   * The session for a version, loading it from R2 on first use. A loaded model is returned without
   * waiting on anything; while another request loads it, this one polls on its own timers.
   */
  async get(store: ModelStore, name: string, version: number, precision: Precision, onLoad?: (m: LoadedModel) => void): Promise<LoadedModel> {
    const k = key(name, version, precision);
    const failed = this.failures.get(k);
    if (failed) {
      if (failed.until > Date.now()) throw failed.error;
      this.failures.delete(k);
    }
    const waitStarted = Date.now();
    for (let pause = 2; ; pause = Math.min(pause * 2, 20)) {
      const slot = this.slots.get(k);
      if (slot?.model) {
        this.touch(k, slot);
        return slot.model;
      }
      if (!slot || Date.now() - slot.startedAt > this.timing.staleMs) return this.load(store, k, name, version, precision, onLoad);
      if (Date.now() - waitStarted > this.timing.waitMs) {
        throw new StillLoading(name, version);
      }
      await sleep(pause);
      if (slot.error !== null) throw slot.error;
    }
  }

  /** Loads in the calling request's own context and publishes the result as plain data. */
  private async load(store: ModelStore, k: string, name: string, version: number, precision: Precision, onLoad?: (m: LoadedModel) => void): Promise<LoadedModel> {
    const slot: Slot = { model: null, error: null, startedAt: Date.now() };
    this.slots.set(k, slot);
    this.trim();
    let m: LoadedModel;
    try {
      m = await loadModel(store, name, version, precision);
    } catch (e) {
      // Anything but an ApiError (a graph ORT refuses, malformed JSON, …) is the version's: say so clearly.
      const error = e instanceof ApiError ? e : new ModelUnavailable(name, version, e instanceof Error ? e.message : String(e));
      slot.error = error;
      if (this.slots.get(k) === slot) this.slots.delete(k);
      if (versionAtFault(error)) {
        if (this.failures.size >= MAX_REMEMBERED_FAILURES) this.failures.clear();
        this.failures.set(k, { error, until: Date.now() + this.timing.failedMs });
      }
      throw error;
    }
    if (this.slots.get(k) === slot) slot.model = m;
    else {
      // Dropped while loading: the caller sees `evicted` and asks again.
      m.evicted = true;
      void release(m);
    }
    onLoad?.(m);
    return m;
  }

  private touch(k: string, slot: Slot): void {
    this.slots.delete(k);
    this.slots.set(k, slot);
  }

  private trim(): void {
    while (this.slots.size > this.maxSessions) this.drop(this.slots.keys().next().value!);
  }

  /** Whether any precision of this version is loaded. */
  has(name: string, version: number): boolean {
    return PRECISIONS.some((p) => !!this.slots.get(key(name, version, p))?.model);
  }

  /** Drops every precision of a version; returns the keys dropped. */
  evictVersion(name: string, version: number): string[] {
    for (const p of PRECISIONS) this.failures.delete(key(name, version, p));
    const dropped = PRECISIONS.map((p) => key(name, version, p)).filter((k) => this.slots.has(k));
    dropped.forEach((k) => this.drop(k));
    return dropped;
  }

  loaded(): { model: string; version: number; precision: Precision }[] {
    return [...this.slots.values()].flatMap((s) => (s.model ? [{ model: s.model.name, version: s.model.version, precision: s.model.precision }] : []));
  }

  clear(): void {
    this.failures.clear();
    for (const k of [...this.slots.keys()]) this.drop(k);
  }

  private drop(k: string): void {
    const m = this.slots.get(k)?.model;
    this.slots.delete(k);
    if (!m) return;
    // ORT keeps a session's memory in the WASM heap until released: release now, or when the last
    // run still using it ends.
    m.evicted = true;
    if (m.inflight === 0) void release(m);
  }
}

/** This isolate's cache. */
export const modelCache = new ModelCache();
