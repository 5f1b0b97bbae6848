/**
 * ONNX sessions cached per isolate, keyed by model name + version + precision. A version's files
 * are immutable, so a cached session is valid until evicted: when an alias that pointed at it
 * moves (see serving/resolve.ts), when the cache is full (least recently used first), or on reload.
 * Concurrent requests for the same version share one load.
 */
import { createClassifier, MODEL_LAYOUT, readModelConfig, type Classifier } from '@sentiment-edge/registry';
import { Tokenizer } from '@huggingface/tokenizers';
import { ApiError } from '../errors.ts';
import { objectKey } from '../storage/files.ts';
import { createSession, Tensor, type Session } from './ort.ts';

/** int8: onnx/model_quantized.onnx (the default); fp32: onnx/model.onnx. */
export type Precision = 'int8' | 'fp32';
export const PRECISIONS: readonly Precision[] = ['int8', 'fp32'];

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
  m.inflight++;
  try {
    return await m.classifier.probabilities(texts);
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

const key = (name: string, version: number, precision: Precision) => `${name}@${version}:${precision}`;

async function readObject(bucket: R2Bucket, name: string, version: number, path: string): Promise<Uint8Array> {
  const obj = await bucket.get(objectKey(name, version, path));
  if (!obj) {
    throw new ApiError(503, 'not_ready', `model ${name} version ${version} has no ${path} in R2; re-upload the version's files`, { name, version, path }, { 'Retry-After': '60' });
  }
  return new Uint8Array(await obj.arrayBuffer());
}

async function load(bucket: R2Bucket, name: string, version: number, precision: Precision): Promise<LoadedModel> {
  const started = Date.now();
  const [config, tokenizerJson, tokenizerConfig, onnx] = await Promise.all([
    readObject(bucket, name, version, MODEL_LAYOUT.config),
    readObject(bucket, name, version, MODEL_LAYOUT.tokenizer),
    readObject(bucket, name, version, MODEL_LAYOUT.tokenizerConfig),
    readObject(bucket, name, version, onnxPath(precision)),
  ]);
  const text = new TextDecoder();
  const [cfg, tj, tc] = [config, tokenizerJson, tokenizerConfig].map((b) => JSON.parse(text.decode(b)) as Record<string, unknown>) as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const modelConfig = readModelConfig(cfg, tc, tj);
  const tokenizer = new Tokenizer(tj, tc);
  const session: Session = await createSession(onnx);
  const classifier = createClassifier(Tensor, session, tokenizer, modelConfig);
  const bytes = config.byteLength + tokenizerJson.byteLength + tokenizerConfig.byteLength + onnx.byteLength;
  return { name, version, precision, labels: modelConfig.labels, classifier, bytes, loadMs: Date.now() - started, loadedAt: Date.now(), session, inflight: 0, evicted: false };
}

export class ModelCache {
  private readonly entries = new Map<string, Promise<LoadedModel>>();
  private readonly ready = new Map<string, LoadedModel>();

  constructor(private readonly maxSessions = MAX_SESSIONS) {}

  /** The session for a version, loading it from R2 on first use (shared by concurrent callers). */
  get(bucket: R2Bucket, name: string, version: number, precision: Precision, onLoad?: (m: LoadedModel) => void): Promise<LoadedModel> {
    const k = key(name, version, precision);
    const hit = this.entries.get(k);
    if (hit) {
      // LRU: move to the end.
      this.entries.delete(k);
      this.entries.set(k, hit);
      return hit;
    }
    const p = load(bucket, name, version, precision).then(
      (m) => {
        if (this.entries.get(k) === p) this.ready.set(k, m);
        else {
          // Dropped while loading: callers see `evicted` and fetch a fresh session.
          m.evicted = true;
          void release(m);
        }
        onLoad?.(m);
        return m;
      },
      (e: unknown) => {
        if (this.entries.get(k) === p) this.entries.delete(k);
        throw e;
      },
    );
    this.entries.set(k, p);
    while (this.entries.size > this.maxSessions) this.drop(this.entries.keys().next().value!);
    return p;
  }

  /** Whether any precision of this version is loaded. */
  has(name: string, version: number): boolean {
    return PRECISIONS.some((p) => this.ready.has(key(name, version, p)));
  }

  /** Drops every precision of a version; returns the keys dropped. */
  evictVersion(name: string, version: number): string[] {
    const dropped = PRECISIONS.map((p) => key(name, version, p)).filter((k) => this.entries.has(k));
    dropped.forEach((k) => this.drop(k));
    return dropped;
  }

  loaded(): { model: string; version: number; precision: Precision }[] {
    return [...this.ready.values()].map((m) => ({ model: m.name, version: m.version, precision: m.precision }));
  }

  clear(): void {
    for (const k of [...this.entries.keys()]) this.drop(k);
  }

  private drop(k: string): void {
    this.entries.delete(k);
    const m = this.ready.get(k);
    this.ready.delete(k);
    if (!m) return;
    // ORT keeps a session's memory in the WASM heap until released: release now, or when the last
    // run still using it ends.
    m.evicted = true;
    if (m.inflight === 0) void release(m);
  }
}

/** This isolate's cache. */
export const modelCache = new ModelCache();
