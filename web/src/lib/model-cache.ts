/**
 * Model files on the device: download through RegistryClient, verify each file against the manifest's
 * sha256 (Web Crypto) before it is cached or used, and keep verified files in Cache Storage so the
 * chosen model works offline. A file that does not match is refused, never used, and removed.
 */
import { MODEL_LAYOUT, routes, sha256Hex, type Manifest, type ModelFile } from '@sentiment-edge/registry';
import type { Backend } from './messages.ts';

/** Bump when the cache layout changes; old caches are deleted by pruneModelCaches(). */
export const MODEL_CACHE = 'sentiment-edge-models-v1';

/** The part of the Cache API we use (a Map-backed fake in tests). */
export interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, res: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
    readonly where: 'download' | 'cache',
  ) {
    super(
      `${path} ${where === 'cache' ? 'stored on this device' : 'downloaded from the registry'} does not match the model's manifest ` +
        `(sha256 ${actual.slice(0, 12)}… instead of ${expected.slice(0, 12)}…). The file was refused and not used` +
        (where === 'cache' ? '; it has been removed from this device: choose "Download again" to fetch a fresh copy.' : '; try again later or pick another version.'),
    );
  }
}

/** Checks one file's size and sha256 against the manifest entry; throws IntegrityError on mismatch. */
export async function verifyFile(file: ModelFile, bytes: Uint8Array, where: 'download' | 'cache'): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256 || bytes.byteLength !== file.bytes) throw new IntegrityError(file.path, file.sha256, actual, where);
}

/** Files the browser needs for a backend: config, tokenizer, one ONNX graph (int8 for WASM when shipped), the card. */
export function filesFor(manifest: Pick<Manifest, 'files'>, backend: Backend): ModelFile[] {
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const need = (p: string) => {
    const f = byPath.get(p);
    if (!f) throw new Error(`the model has no ${p}: it cannot run in the browser`);
    return f;
  };
  const onnx =
    backend === 'wasm'
      ? (byPath.get(MODEL_LAYOUT.onnxQuantized) ?? byPath.get(MODEL_LAYOUT.onnx))
      : (byPath.get(MODEL_LAYOUT.onnx) ?? byPath.get(MODEL_LAYOUT.onnxQuantized));
  if (!onnx) throw new Error(`the model has neither ${MODEL_LAYOUT.onnx} nor ${MODEL_LAYOUT.onnxQuantized}`);
  const files = [need(MODEL_LAYOUT.config), need(MODEL_LAYOUT.tokenizer), need(MODEL_LAYOUT.tokenizerConfig), onnx];
  const card = byPath.get(MODEL_LAYOUT.card);
  if (card) files.push(card);
  return files;
}

/** The cache key of a model file: its registry URL. */
export function fileUrl(baseUrl: string, name: string, version: number, path: string): string {
  return baseUrl.replace(/\/+$/, '') + routes.file(name, version, path);
}

export interface LoadFilesOptions {
  baseUrl: string;
  manifest: Pick<Manifest, 'name' | 'version'>;
  files: ModelFile[];
  cache: CacheLike;
  /** Downloads one file, reporting bytes received so far. */
  download(path: string, onBytes: (received: number) => void): Promise<Uint8Array>;
  onProgress?(p: { phase: 'download' | 'verify'; done: number; total: number; detail: string }): void;
}

/**
 * Returns every requested file's bytes, verified. Cached copies are re-verified before use: a corrupted
 * cached file is deleted and refused (IntegrityError with where='cache'); a downloaded one that does not
 * match is refused before it reaches the cache.
 */
export async function loadModelFiles(o: LoadFilesOptions): Promise<{ files: Map<string, Uint8Array>; fromCache: boolean; downloadedBytes: number }> {
  const total = o.files.reduce((s, f) => s + f.bytes, 0);
  // Files are read (or downloaded) and hashed concurrently: Web Crypto digests run off the JS thread, so
  // reading one file overlaps hashing another. Progress is the sum over files, so it never goes back.
  const doneBy = new Map<string, number>();
  const report = (path: string, n: number, phase: 'download' | 'verify') => {
    doneBy.set(path, n);
    let done = 0;
    for (const v of doneBy.values()) done += v;
    o.onProgress?.({ phase, done, total, detail: path });
  };
  let downloadedBytes = 0;
  const one = async (file: ModelFile): Promise<Uint8Array> => {
    const key = fileUrl(o.baseUrl, o.manifest.name, o.manifest.version, file.path);
    const cached = await o.cache.match(key);
    let bytes: Uint8Array;
    if (cached) {
      bytes = new Uint8Array(await cached.arrayBuffer());
      try {
        await verifyFile(file, bytes, 'cache');
      } catch (e) {
        await o.cache.delete(key);
        throw e;
      }
      report(file.path, file.bytes, 'verify');
    } else {
      bytes = await o.download(file.path, (received) => report(file.path, Math.min(received, file.bytes), 'download'));
      downloadedBytes += bytes.byteLength;
      await verifyFile(file, bytes, 'download');
      report(file.path, file.bytes, 'verify');
      await o.cache.put(key, new Response(bytes as unknown as BodyInit, { headers: { 'content-type': 'application/octet-stream', 'x-sha256': file.sha256 } }));
    }
    return bytes;
  };
  const all = await Promise.all(o.files.map(one));
  const out = new Map<string, Uint8Array>(o.files.map((f, i) => [f.path, all[i]!]));
  o.onProgress?.({ phase: 'verify', done: total, total, detail: '' });
  return { files: out, fromCache: downloadedBytes === 0, downloadedBytes };
}

/** Whether every file a backend needs is in the cache (does not verify; loading does). */
export async function isCached(cache: CacheLike, baseUrl: string, manifest: Manifest, backend: Backend = 'wasm'): Promise<boolean> {
  for (const f of filesFor(manifest, backend)) if (!(await cache.match(fileUrl(baseUrl, manifest.name, manifest.version, f.path)))) return false;
  return true;
}

/** Reads the model card (README.md) from the cache, or null. */
export async function cachedText(cache: CacheLike, url: string): Promise<string | null> {
  const r = await cache.match(url);
  return r ? r.text() : null;
}
