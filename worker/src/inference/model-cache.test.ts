import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { objectKey } from '../storage/files.ts';
import { classify, ModelCache } from './model-cache.ts';
import { rejectsWith, tinyModel } from '../../test/helpers.ts';

const NAME = 'cache-test';

describe('ModelCache', () => {
  beforeAll(async () => {
    // Three versions of the real tiny model (the same files: these tests are about cache keys and lifetimes).
    for (const v of [1, 2, 3]) for (const [path, bytes] of Object.entries(tinyModel().files)) await env.MODELS.put(objectKey(NAME, v, path), bytes);
  });

  it('loads once for concurrent callers and reports what is loaded', async () => {
    const cache = new ModelCache(2);
    const [a, b] = await Promise.all([cache.get(env, NAME, 1, 'int8'), cache.get(env, NAME, 1, 'int8')]);
    expect(a).toBe(b);
    expect(a.labels).toEqual(['negative', 'positive']);
    expect(a.bytes).toBeGreaterThan(0);
    expect(cache.has(NAME, 1)).toBe(true);
    expect(cache.loaded()).toEqual([{ model: NAME, version: 1, precision: 'int8' }]);
  });

  it('evicts the least recently used session beyond its size and releases it', async () => {
    const cache = new ModelCache(2);
    const first = await cache.get(env, NAME, 1, 'int8');
    await cache.get(env, NAME, 2, 'int8');
    await cache.get(env, NAME, 1, 'int8'); // touch 1: 2 is now the oldest
    await cache.get(env, NAME, 3, 'fp32');
    expect(cache.has(NAME, 2)).toBe(false);
    expect(cache.has(NAME, 1) && cache.has(NAME, 3)).toBe(true);
    expect(first.evicted).toBe(false);
    expect(cache.evictVersion(NAME, 1)).toEqual([`${NAME}@1:int8`]);
    expect(first.evicted).toBe(true);
  });

  it('keeps an evicted session alive until its running batch ends', async () => {
    const cache = new ModelCache(2);
    const m = await cache.get(env, NAME, 1, 'int8');
    const running = classify(m, ['good movie', 'bad film']);
    cache.evictVersion(NAME, 1);
    expect(await running).toHaveLength(2);
  });

  it('answers 503 when a version has no file in R2, and remembers the failure for a while instead of loading again', async () => {
    const cache = new ModelCache(2, { waitMs: 1000, staleMs: 2000, failedMs: 150 });
    let gets = 0;
    const counting = { DB: env.DB, MODELS: { get: (k: string) => (gets++, env.MODELS.get(k)) } as unknown as R2Bucket };
    await expect(cache.get(counting, NAME, 9, 'int8')).rejects.toMatchObject({ status: 503, code: 'not_ready' });
    const reads = gets;
    // Within failedMs: the same error at once, no R2 read (without the remembered failure every request would load it again).
    for (let i = 0; i < 5; i++) await expect(cache.get(counting, NAME, 9, 'int8')).rejects.toMatchObject({ status: 503 });
    expect(gets).toBe(reads);
    await new Promise((r) => setTimeout(r, 170));
    await expect(cache.get(counting, NAME, 9, 'int8')).rejects.toMatchObject({ status: 503 });
    expect(gets).toBe(2 * reads);
  });

  it('answers a graph ORT cannot load with 503 model_unavailable (not 500 internal), remembered for failedMs', async () => {
    const cache = new ModelCache(2, { waitMs: 1000, staleMs: 2000, failedMs: 60_000 });
    for (const [path, bytes] of Object.entries(tinyModel().files)) await env.MODELS.put(objectKey(NAME, 7, path), path.endsWith('.onnx') ? new TextEncoder().encode('not a graph') : bytes);
    const e = await rejectsWith(cache.get(env, NAME, 7, 'int8'));
    expect(e).toMatchObject({ status: 503, code: 'model_unavailable', headers: { 'Retry-After': '30' } });
    expect(e.message).toMatch(/^model cache-test version 7 cannot be loaded: .*publish a fixed version/);
    expect(await rejectsWith(cache.get(env, NAME, 7, 'int8'))).toBe(e);
    // A reload (clear) tries again at once.
    cache.clear();
    expect(await rejectsWith(cache.get(env, NAME, 7, 'int8'))).not.toBe(e);
  });

  it('never hands a waiter the loader\'s promise: waiters poll, get the same model, and see a failed load\'s error', async () => {
    const cache = new ModelCache(2);
    let gets = 0;
    const counting = { DB: env.DB, MODELS: { get: (k: string) => (gets++, env.MODELS.get(k)) } as unknown as R2Bucket };
    const all = await Promise.all(Array.from({ length: 5 }, () => cache.get(counting, NAME, 2, 'int8')));
    expect(new Set(all).size).toBe(1);
    expect(gets).toBe(4); // one load: config, tokenizer, tokenizer config, graph
    const failing = await Promise.allSettled(Array.from({ length: 3 }, () => cache.get(env, NAME, 8, 'int8')));
    expect(failing.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(failing.map((r) => (r as PromiseRejectedResult).reason.status)).toEqual([503, 503, 503]);
  });

  it('answers 503 with Retry-After while another request\'s load runs too long, and replaces an abandoned load', async () => {
    const cache = new ModelCache(2, { waitMs: 50, staleMs: 200, failedMs: 0 });
    let calls = 0;
    // The first load's four reads never finish (as when its request was cancelled mid-load).
    const store = { DB: env.DB, MODELS: { get: (k: string) => (calls++ < 4 ? new Promise(() => undefined) : env.MODELS.get(k)) } as unknown as R2Bucket };
    void cache.get(store, NAME, 1, 'int8');
    const waiting = await rejectsWith(cache.get(store, NAME, 1, 'int8'));
    expect(waiting).toMatchObject({ status: 503, code: 'not_ready', headers: { 'Retry-After': '2' } });
    await new Promise((r) => setTimeout(r, 220));
    const m = await cache.get(store, NAME, 1, 'int8');
    expect(m.labels).toEqual(['negative', 'positive']);
  });
});
