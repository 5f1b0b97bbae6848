/**
 * Streaming, verified R2 writes against the local R2, plus the pure helpers.
 * The refused-size cases make workerd log "fixed-length pipe ended prematurely" / "Network connection
 * lost" from inside the local R2 service when the aborted body reaches it: expected noise.
 */
import { sha256Hex } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { rejectsWith } from '../../test/helpers.ts';
import { contentTypeFor, objectKey, putVerified } from './files.ts';

const stream = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(ctl) {
      for (const c of chunks) ctl.enqueue(c);
      ctl.close();
    },
  });

describe('putVerified', () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5]);
  const whole = new Uint8Array([1, 2, 3, 4, 5]);

  it('stores chunked bytes whose size and sha256 match', async () => {
    const key = objectKey('files-test', 1, 'ok.bin');
    const expected = { sha256: await sha256Hex(whole), bytes: 5 };
    expect(await putVerified(env.MODELS, key, stream(a, b), expected, 100)).toEqual(expected);
    const obj = await env.MODELS.get(key);
    expect(new Uint8Array(await obj!.arrayBuffer())).toEqual(whole);
    expect(obj!.httpMetadata?.contentType).toBe('application/octet-stream');
  });

  it('deletes and refuses a sha256 mismatch', async () => {
    const key = objectKey('files-test', 1, 'bad.bin');
    const e = await rejectsWith(putVerified(env.MODELS, key, stream(b, a), { sha256: await sha256Hex(whole), bytes: 5 }, 100));
    expect(e).toMatchObject({ status: 400, code: 'sha256_mismatch' });
    expect(await env.MODELS.head(key)).toBeNull();
  });

  it('refuses short and long bodies (400) and bodies over the limit (413), storing nothing', async () => {
    const sha = await sha256Hex(whole);
    const short = await rejectsWith(putVerified(env.MODELS, objectKey('files-test', 1, 'short'), stream(a), { sha256: sha, bytes: 5 }, 100));
    expect(short).toMatchObject({ status: 400, details: { expectedBytes: 5, receivedBytes: 3 } });
    const long = await rejectsWith(putVerified(env.MODELS, objectKey('files-test', 1, 'long'), stream(a, b, a), { sha256: sha, bytes: 5 }, 100));
    expect(long.status).toBe(400);
    const over = await rejectsWith(putVerified(env.MODELS, objectKey('files-test', 1, 'over'), stream(a, b), { sha256: sha, bytes: 5 }, 4));
    expect(over).toMatchObject({ status: 413, code: 'payload_too_large' });
    const listed = await env.MODELS.list({ prefix: 'models/files-test/1/' });
    expect(listed.objects.map((o) => o.key).filter((k) => /short|long|over/.test(k))).toEqual([]);
  });
});

describe('helpers', () => {
  it('maps extensions to content types', () => {
    expect(contentTypeFor('config.json')).toBe('application/json');
    expect(contentTypeFor('onnx/model.onnx')).toBe('application/octet-stream');
    expect(contentTypeFor('README.md')).toBe('text/markdown; charset=utf-8');
    expect(contentTypeFor('weights')).toBe('application/octet-stream');
  });
  it('keys objects by model, version and path', () => {
    expect(objectKey('sentiment', 3, 'onnx/model.onnx')).toBe('models/sentiment/3/onnx/model.onnx');
  });
});
