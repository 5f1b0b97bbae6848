import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { objectKey } from '../storage/files.ts';
import { classify, ModelCache } from './models.ts';
import { tinyModel } from '../../test/helpers.ts';

const NAME = 'cache-test';

describe('ModelCache', () => {
  beforeAll(async () => {
    // Three versions of the real tiny model (the same files: these tests are about cache keys and lifetimes).
    for (const v of [1, 2, 3]) for (const [path, bytes] of Object.entries(tinyModel().files)) await env.MODELS.put(objectKey(NAME, v, path), bytes);
  });

  it('loads once for concurrent callers and reports what is loaded', async () => {
    const cache = new ModelCache(2);
    const [a, b] = await Promise.all([cache.get(env.MODELS, NAME, 1, 'int8'), cache.get(env.MODELS, NAME, 1, 'int8')]);
    expect(a).toBe(b);
    expect(a.labels).toEqual(['negative', 'positive']);
    expect(a.bytes).toBeGreaterThan(0);
    expect(cache.has(NAME, 1)).toBe(true);
    expect(cache.loaded()).toEqual([{ model: NAME, version: 1, precision: 'int8' }]);
  });

  it('evicts the least recently used session beyond its size and releases it', async () => {
    const cache = new ModelCache(2);
    const first = await cache.get(env.MODELS, NAME, 1, 'int8');
    await cache.get(env.MODELS, NAME, 2, 'int8');
    await cache.get(env.MODELS, NAME, 1, 'int8'); // touch 1: 2 is now the oldest
    await cache.get(env.MODELS, NAME, 3, 'fp32');
    expect(cache.has(NAME, 2)).toBe(false);
    expect(cache.has(NAME, 1) && cache.has(NAME, 3)).toBe(true);
    expect(first.evicted).toBe(false);
    expect(cache.evictVersion(NAME, 1)).toEqual([`${NAME}@1:int8`]);
    expect(first.evicted).toBe(true);
  });

  it('keeps an evicted session alive until its running batch ends', async () => {
    const cache = new ModelCache(2);
    const m = await cache.get(env.MODELS, NAME, 1, 'int8');
    const running = classify(m, ['good movie', 'bad film']);
    cache.evictVersion(NAME, 1);
    expect(await running).toHaveLength(2);
  });

  it('answers 503 when a version has no file in R2', async () => {
    const cache = new ModelCache(2);
    await expect(cache.get(env.MODELS, NAME, 9, 'int8')).rejects.toMatchObject({ status: 503, code: 'not_ready' });
    // A failed load is not cached.
    await expect(cache.get(env.MODELS, NAME, 9, 'int8')).rejects.toMatchObject({ status: 503 });
  });
});
