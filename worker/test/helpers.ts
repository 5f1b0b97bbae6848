/** Shared test helpers: requests through the real Worker entry point, and model fixtures. */
import { sha256Hex, type ManifestDraft, type ModelFile } from '@sentiment-edge/registry';
import { env, exports } from 'cloudflare:workers';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { expect, vi } from 'vitest';
import { forgetRollupCache } from '../src/routes/serving-ops.ts';
import { ApiError } from '../src/errors.ts';
import { FIXTURE_TEXTS, fromBase64, type FixtureSeed } from './tiny-model.ts';

export const TOKEN = env.REGISTRY_TOKEN;
const ORIGIN = 'http://registry.test';

export interface CallOptions {
  body?: unknown;
  /** undefined: the right token; null: none; a string: that token. */
  token?: string | null;
  headers?: Record<string, string>;
}

export function call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof Uint8Array || typeof opts.body === 'string') {
    body = opts.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  return exports.default.fetch(new Request(ORIGIN + path, { method, headers, body }));
}

export async function callJson<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(method, path, opts);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, res };
}

let counter = 0;
/** A model name no other test uses. */
export function uniqueName(prefix = 'm'): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export const enc = (s: string) => new TextEncoder().encode(s);

export async function describeFiles(files: Record<string, Uint8Array>): Promise<ModelFile[]> {
  return Promise.all(Object.entries(files).map(async ([path, bytes]) => ({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) })));
}

export const DATASET_SHA = 'a'.repeat(64);

export function makeDraft(name: string, files: ModelFile[], extra: Partial<ManifestDraft> = {}): ManifestDraft {
  return {
    name,
    labels: ['negative', 'positive'],
    files,
    evaluation: {
      dataset: { name: 'test-set', sha256: DATASET_SHA, rows: 10 },
      accuracy: 0.8,
      macroF1: 0.79,
      macroRecall: 0.8,
      perClass: {
        negative: { precision: 0.8, recall: 0.8, f1: 0.8, support: 5 },
        positive: { precision: 0.8, recall: 0.8, f1: 0.8, support: 5 },
      },
      confusion: [
        [4, 1],
        [1, 4],
      ],
    },
    training: { datasetSha256: DATASET_SHA, params: { epochs: 1 }, seed: 42, durationMs: 1000, parent: null },
    ...extra,
  };
}

export const DEFAULT_FILES: Record<string, Uint8Array> = {
  'config.json': enc('{"model_type":"bert"}'),
  'onnx/model.onnx': new Uint8Array([8, 1, 18, 4, 116, 101, 115, 116]),
};

/**
 * Creates a version and uploads its files; finalizes unless told not to. Returns its number.
 * `declare`: the files the manifest declares, when only some of them (`files`) are to be uploaded.
 */
export async function publish(name: string, opts: { files?: Record<string, Uint8Array>; declare?: Record<string, Uint8Array>; finalize?: boolean; version?: number } = {}): Promise<number> {
  const files = opts.files ?? DEFAULT_FILES;
  const draft = makeDraft(name, await describeFiles(opts.declare ?? files), opts.version ? { version: opts.version } : {});
  const created = await callJson('POST', `/api/v1/models/${name}/versions`, { body: draft });
  if (created.status !== 201) throw new Error(`create failed ${created.status} ${JSON.stringify(created.body)}`);
  const version = created.body.manifest.version as number;
  for (const [path, bytes] of Object.entries(files)) {
    const up = await call('PUT', `/api/v1/models/${name}/versions/${version}/files/${path}`, { body: bytes });
    if (up.status !== 200) throw new Error(`upload ${path} failed ${up.status} ${await up.text()}`);
  }
  if (opts.finalize !== false) {
    const fin = await call('POST', `/api/v1/models/${name}/versions/${version}/finalize`);
    if (fin.status !== 201) throw new Error(`finalize failed ${fin.status} ${await fin.text()}`);
  }
  return version;
}

/** A real tiny model built by the training package (see vitest.config.ts and test/tiny-model.ts). */
export interface TinyModel {
  seed: FixtureSeed;
  labels: string[];
  /** path → bytes, everything the export wrote (what a publish uploads). */
  files: Record<string, Uint8Array>;
  /** onnxruntime-node's probabilities (label order) for one of FIXTURE_TEXTS. */
  expected(text: (typeof FIXTURE_TEXTS)[number], precision?: 'fp32' | 'int8'): number[];
}

const tinyModels = new Map<number, TinyModel>();

export function tinyModel(seed: FixtureSeed = 7): TinyModel {
  let m = tinyModels.get(seed);
  if (!m) {
    const fixture = env.TINY_MODELS?.[String(seed)];
    if (!fixture) throw new Error(`no TINY_MODELS binding for seed ${seed}: only the 'worker' test project gets one (vitest.config.ts)`);
    const files = Object.fromEntries(Object.entries(fixture.files).map(([path, b64]) => [path, fromBase64(b64)]));
    m = {
      seed,
      labels: fixture.labels,
      files,
      expected(text, precision = 'int8') {
        const i = FIXTURE_TEXTS.indexOf(text);
        if (i < 0) throw new Error(`no reference probabilities for ${JSON.stringify(text)}: add it to FIXTURE_TEXTS`);
        return fixture.expected[precision][i]!;
      },
    };
    tinyModels.set(seed, m);
  }
  return m;
}

/** Awaits a promise that must reject with an ApiError, and returns the error for further checks. */
export async function rejectsWith(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

/** A /metrics scrape: the metric families (with their TYPE) and every sample line with its labels. */
export interface Scrape {
  families: Map<string, PromFamily>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/**
 * GET /metrics (bypassing the per-isolate rollup cache) parsed by a real Prometheus text-format
 * parser. parse-prometheus-text-format 1.1.1 merges the series of a labelled histogram into one and
 * drops their labels, so the samples are read from a second parse without the TYPE lines (every
 * line then parses as an untyped sample, labels kept).
 */
export async function scrapeMetrics(opts: CallOptions = { token: null }): Promise<Scrape> {
  forgetRollupCache();
  const res = await call('GET', '/metrics', opts);
  expect(res.status).toBe(200);
  const text = await res.text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const untyped = parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, ''));
  const samples = untyped.flatMap((f) => f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: Number(m.value) })));
  return { families, samples };
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function sampleValue(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** How long a test waits for what the Worker writes after answering (~25 ms on a quiet machine, seconds on a busy one). */
export const SETTLE_TIMEOUT = { timeout: 15_000, interval: 20 };

/** Scrapes until `done` holds; fails after SETTLE_TIMEOUT. */
export async function waitForMetrics(done: (m: Scrape) => boolean): Promise<Scrape> {
  return vi.waitUntil(async () => {
    const m = await scrapeMetrics();
    return done(m) && m;
  }, SETTLE_TIMEOUT);
}

/**
 * How many fixed rate-limit windows of `periodS` seconds a run from `startMs` until now touched. The limiters
 * count in windows aligned to the wall clock, so a slow run may cross several: a test bounds what got through
 * by the windows it touched (counted from the clock, never a timing assertion).
 */
export function windowsSince(startMs: number, periodS: number): number {
  const p = periodS * 1000;
  return Math.floor(Date.now() / p) - Math.floor(startMs / p) + 1;
}
