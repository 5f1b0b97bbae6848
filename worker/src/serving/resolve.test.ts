import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel } from '../../test/helpers.ts';
import { ApiError } from '../errors.ts';
import { ALIAS_FRESH_MS, ALIAS_MAX_AGE_MS, resetResolver } from '../inference/alias-cache.ts';
import { resolveModel } from './resolve.ts';

const NAME = 'resolve-test';

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
}

describe('resolveModel', () => {
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    resetResolver();
    const files = tinyModel().files;
    v1 = await publish(NAME, { files });
    v2 = await publish(NAME, { files });
  });

  it('503 for a model without champion, 404 for unknown names/versions/aliases, 400 for bad refs', async () => {
    expect(await status(resolveModel(env.DB, NAME, 'sentiment'))).toBe(503);
    expect(await status(resolveModel(env.DB, undefined, 'no-such-default'))).toBe(503);
    expect(await status(resolveModel(env.DB, 'no-such-model', 'sentiment'))).toBe(404);
    expect(await status(resolveModel(env.DB, `${NAME}@champion`, 'sentiment'))).toBe(404);
    expect(await status(resolveModel(env.DB, `${NAME}@99`, 'sentiment'))).toBe(404);
    expect(await status(resolveModel(env.DB, 'UPPER', 'sentiment'))).toBe(400);
    expect(await resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment', { operator: true })).toMatchObject({ name: NAME, version: v2 });
  });

  it('uses a fresh lookup as is, refreshes a stale one in the background, and never answers from one older than ALIAS_MAX_AGE_MS', async () => {
    resetResolver();
    const t0 = Date.now();
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v1 } });
    expect((await resolveModel(env.DB, NAME, 'sentiment', { now: t0 })).version).toBe(v1);
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v2 } });
    // Fresh: no D1 read, the old answer.
    expect((await resolveModel(env.DB, NAME, 'sentiment', { now: t0 + ALIAS_FRESH_MS - 1 })).version).toBe(v1);
    // Stale: still the old answer at once, and one refresh handed to `defer` (not awaited by the request).
    const deferred: Promise<unknown>[] = [];
    const defer = (p: Promise<unknown>) => deferred.push(p);
    expect((await resolveModel(env.DB, NAME, 'sentiment', { now: t0 + ALIAS_FRESH_MS, defer })).version).toBe(v1);
    expect((await resolveModel(env.DB, NAME, 'sentiment', { now: t0 + ALIAS_FRESH_MS + 1, defer })).version).toBe(v1);
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect((await resolveModel(env.DB, NAME, 'sentiment', { defer })).version).toBe(v2);
    // Too old: looked up before answering, even with a background hook.
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v1 } });
    expect((await resolveModel(env.DB, NAME, 'sentiment', { now: t0 + ALIAS_FRESH_MS + ALIAS_MAX_AGE_MS, defer })).version).toBe(v1);
    expect(deferred).toHaveLength(1);
  });

  it('serves anonymous requests only the champion and canary (by name or number); other versions and aliases need the token', async () => {
    resetResolver();
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v1 } });
    await callJson('DELETE', `/api/v1/models/${NAME}/aliases/challenger`);
    expect(await status(resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment'))).toBe(401);
    expect(await status(resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment', { operator: false }))).toBe(401);
    expect((await resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment', { operator: true })).version).toBe(v2);
    // The champion is public by number too.
    expect((await resolveModel(env.DB, `${NAME}@${v1}`, 'sentiment')).version).toBe(v1);
    // A challenger is not served by default (only shadow-scored): its version and alias need the token.
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/challenger`, { body: { version: v2 } });
    resetResolver();
    expect(await status(resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment'))).toBe(401);
    expect(await status(resolveModel(env.DB, `${NAME}@challenger`, 'sentiment'))).toBe(401);
    expect((await resolveModel(env.DB, `${NAME}@challenger`, 'sentiment', { operator: true })).version).toBe(v2);
    // The canary is: by alias and by number.
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/canary`, { body: { version: v2, share: 0 } });
    resetResolver();
    expect((await resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment')).version).toBe(v2);
    expect((await resolveModel(env.DB, `${NAME}@canary`, 'sentiment')).version).toBe(v2);
    await callJson('DELETE', `/api/v1/models/${NAME}/aliases/canary`);
  });
});
