import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel } from '../../test/helpers.ts';
import { ApiError } from '../errors.ts';
import { ALIAS_TTL_MS, resetResolver, resolveModel } from './resolve.ts';

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
    expect(await resolveModel(env.DB, `${NAME}@${v2}`, 'sentiment')).toMatchObject({ name: NAME, version: v2 });
  });

  it('re-checks an alias only after ALIAS_TTL_MS', async () => {
    const t0 = Date.now();
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v1 } });
    expect((await resolveModel(env.DB, NAME, 'sentiment', t0)).version).toBe(v1);
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v2 } });
    expect((await resolveModel(env.DB, NAME, 'sentiment', t0 + ALIAS_TTL_MS - 1)).version).toBe(v1);
    expect((await resolveModel(env.DB, NAME, 'sentiment', t0 + ALIAS_TTL_MS)).version).toBe(v2);
  });
});
