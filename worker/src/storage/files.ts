/**
 * Model files in R2. Uploads are streamed to R2 while being counted and hashed, never buffered
 * whole; a body whose size or sha256 differs from the manifest is deleted and refused. Every upload
 * attempt writes its own key (`uploadKey`), recorded in D1 once verified, so refusing an attempt
 * only ever deletes bytes that attempt wrote.
 */
import { ApiError } from '../errors.ts';

/** Where files uploaded before per-attempt keys (migration 0003) live; still read for those. */
export function objectKey(name: string, version: number, path: string): string {
  return `models/${name}/${version}/${path}`;
}

/** A fresh key for one upload attempt ("@" is not allowed in file paths, so it never meets objectKey's). */
export function uploadKey(name: string, version: number, path: string): string {
  return `models/${name}/${version}/@${crypto.randomUUID()}/${path}`;
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  onnx: 'application/octet-stream',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  bin: 'application/octet-stream',
  wasm: 'application/wasm',
};

export function contentTypeFor(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

export function toHex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ExpectedFile {
  sha256: string;
  bytes: number;
}

/**
 * Streams `body` into `bucket` under `key` (a key of this attempt's own: see uploadKey), hashing on
 * the way; R2 is also given the declared sha256, so it refuses to store other bytes itself. Throws
 * (after deleting `key`) 400 `sha256_mismatch` or 400 `bad_request` (size) when the bytes are not the
 * declared ones, and 413 when more than `limit` bytes arrive.
 */
export async function putVerified(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  expected: ExpectedFile,
  limit: number,
  contentType = 'application/octet-stream',
): Promise<ExpectedFile> {
  const digest = new crypto.DigestStream('SHA-256');
  const hasher = digest.getWriter();
  // Rejects when the upload is aborted; handled below through `received`/the thrown error.
  digest.digest.catch(() => undefined);
  let received = 0;
  const meter = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, ctl) {
      received += chunk.byteLength;
      if (received > limit) throw new ApiError(413, 'payload_too_large', `file is larger than the limit of ${limit} bytes`, { limit });
      if (received > expected.bytes) throw sizeMismatch(expected.bytes, received, true);
      await hasher.write(chunk);
      ctl.enqueue(chunk);
    },
    async flush() {
      if (received < expected.bytes) throw sizeMismatch(expected.bytes, received, false);
      await hasher.close();
      // Fail the stream before it ends, so R2 sees an errored body rather than a complete one.
      const actual = toHex(await digest.digest);
      if (actual !== expected.sha256) throw shaMismatch(expected.sha256, actual);
    },
  });
  // R2 needs to know the length up front; FixedLengthStream also fails a short body.
  const fixed = new FixedLengthStream(expected.bytes);
  const metered = body.pipeThrough(meter);
  const piped = metered.pipeTo(fixed.writable);
  try {
    await Promise.all([bucket.put(key, fixed.readable, { httpMetadata: { contentType }, sha256: expected.sha256 }), piped]);
  } catch (e) {
    await hasher.abort(e).catch(() => undefined);
    await bucket.delete(key).catch(() => undefined);
    if (e instanceof ApiError) throw e;
    if (received !== expected.bytes) throw sizeMismatch(expected.bytes, received, received > expected.bytes);
    throw e;
  }
  const sha256 = toHex(await digest.digest);
  if (received !== expected.bytes) {
    await bucket.delete(key);
    throw sizeMismatch(expected.bytes, received, false);
  }
  if (sha256 !== expected.sha256) {
    await bucket.delete(key);
    throw shaMismatch(expected.sha256, sha256);
  }
  return { sha256, bytes: received };
}

function shaMismatch(expected: string, actual: string): ApiError {
  return new ApiError(400, 'sha256_mismatch', `the uploaded bytes hash to ${actual}, but the manifest declares ${expected}; the upload was discarded`, { expected, actual });
}

export interface StoredFile {
  path: string;
  sha256: string;
  bytes: number;
  /** The recorded R2 key of its verified upload. */
  key: string;
}

/**
 * Checks each recorded upload in R2 itself: the object exists, has the declared size and the declared
 * sha256 (R2's own checksum, computed when it stored the bytes). Returns the paths that fail, with why.
 */
export async function checkStoredObjects(bucket: R2Bucket, files: readonly StoredFile[]): Promise<{ path: string; problem: string }[]> {
  const checks = await Promise.all(
    files.map(async (f) => {
      const head = await bucket.head(f.key);
      if (!head) return { path: f.path, problem: 'the stored object is missing' };
      if (head.size !== f.bytes) return { path: f.path, problem: `the stored object has ${head.size} bytes, not ${f.bytes}` };
      const stored = head.checksums.sha256 ? toHex(head.checksums.sha256) : null;
      // Objects stored before uploads passed their sha256 to R2 have no checksum; their upload was hashed on the way in.
      if (stored !== null && stored !== f.sha256) return { path: f.path, problem: `the stored object hashes to ${stored}, not ${f.sha256}` };
      return null;
    }),
  );
  return checks.filter((c) => c !== null);
}

function sizeMismatch(expected: number, received: number, atLeast: boolean): ApiError {
  return ApiError.badRequest(`the manifest declares ${expected} bytes for this file, but ${atLeast ? 'more than ' + expected : received} arrived; the upload was discarded`, {
    expectedBytes: expected,
    receivedBytes: received,
  });
}
