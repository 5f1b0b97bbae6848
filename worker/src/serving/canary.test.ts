// The canary share through the real /predict (tiny models: seed 7 = champion, seed 99 = canary): a
// champion request goes to the canary exactly when registry canary.ts says its client key is in the
// share, the answer names the version that served it, the history row records that version, and
// only champion answers are shadow-scored.
import { servesCanary } from '@sentiment-edge/registry';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { HISTORY_FLUSH_MS } from './history.ts';
import { resetResolver } from '../inference/alias-cache.ts';

// A fixed name keeps the hash draw below fixed: the share of these 400 keys for this name is one known
// draw (within 0.05 of 0.3), not a new draw each run that misses the bound in about 3 % of runs.
const NAME = 'canary-fixed-draw';
const app = buildApp();
const SHARE = 0.3;
let v1: number;
let v2: number;

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** POST /api/v1/predict through the app, waiting for its after-answer work (history, shadow). */
async function predict(body: Record<string, unknown>, headers: Record<string, string> = {}, vars: Record<string, string> = {}): Promise<Answer> {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request('http://registry.test/api/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    { ...env, ...vars },
    ctx,
  );
  const json = await res.json();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: json, headers: res.headers };
}

async function setCanary(share: number) {
  expect((await callJson('PUT', `/api/v1/models/${NAME}/aliases/canary`, { body: { version: v2, share } })).status).toBe(200);
  resetResolver(); // this isolate would otherwise see the move within ALIAS_MAX_AGE_MS
}

beforeAll(async () => {
  v1 = await publish(NAME, { files: tinyModel(7).files });
  v2 = await publish(NAME, { files: tinyModel(99).files });
  expect((await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v1 } })).status).toBe(200);
  expect((await callJson('PUT', `/api/v1/models/${NAME}/aliases/challenger`, { body: { version: v2 } })).status).toBe(200);
  await setCanary(SHARE);
});

describe('canary share at /predict', () => {
  it('sends the share of 400 client keys to the canary, key by key as servesCanary says, and records the served version', async () => {
    const KEYS = 400;
    const keys = Array.from({ length: KEYS }, (_, i) => `client-${i}`);
    const served = new Map<string, number>();
    for (let i = 0; i < KEYS; i += 20) {
      const answers = await Promise.all(keys.slice(i, i + 20).map((clientKey) => predict({ text: 'a good film', model: NAME, clientKey })));
      answers.forEach((a, j) => {
        expect(a.status).toBe(200);
        const key = keys[i + j]!;
        const canary = servesCanary(key, NAME, SHARE);
        expect(a.body.model).toEqual({ name: NAME, version: canary ? v2 : v1 });
        expect(a.body.ref).toBe(canary ? `${NAME}@canary` : `${NAME}@champion`);
        expect(a.headers.get('x-model-version')).toBe(`${NAME}@${canary ? v2 : v1}`);
        expect(a.headers.get('x-model-ref')).toBe(a.body.ref);
        served.set(a.body.id, a.body.model.version);
      });
    }
    const toCanary = [...served.values()].filter((v) => v === v2).length;
    console.log(`canary share ${SHARE}: ${toCanary} of ${KEYS} keys served by the canary (${((100 * toCanary) / KEYS).toFixed(1)} %)`);
    // 400 keys: binomial sd 2.3 points; these keys are fixed, so this bound is checked on one known draw.
    expect(Math.abs(toCanary / KEYS - SHARE)).toBeLessThan(0.05);

    // Stable per key: the same keys, asked again (the header this time), get the same versions.
    for (const key of keys.slice(0, 40)) {
      const again = await predict({ text: 'a good film', model: `${NAME}@champion` }, { 'X-Client-Key': key });
      expect(again.body.model.version).toBe(servesCanary(key, NAME, SHARE) ? v2 : v1);
    }

    // The history rows name the served version.
    await new Promise((r) => setTimeout(r, HISTORY_FLUSH_MS * 3));
    const { results } = await env.DB.prepare(`SELECT id, model_version FROM predictions WHERE model_name = ?1 AND id IN (SELECT value FROM json_each(?2))`)
      .bind(NAME, JSON.stringify([...served.keys()]))
      .all<{ id: string; model_version: number }>();
    expect(results.length).toBe(KEYS);
    for (const r of results) expect(r.model_version).toBe(served.get(r.id));
  });

  it('falls back to the IP address, answers keyless requests with the champion, and leaves explicit refs alone', async () => {
    const inShare = Array.from({ length: 200 }, (_, i) => `10.0.0.${i}`).find((ip) => servesCanary(`ip:${ip}`, NAME, SHARE))!;
    expect((await predict({ text: 'fine', model: NAME }, { 'CF-Connecting-IP': inShare })).body.model.version).toBe(v2);
    expect((await predict({ text: 'fine', model: NAME })).body).toMatchObject({ model: { version: v1 }, ref: `${NAME}@champion` });
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => servesCanary(k, NAME, SHARE))!;
    // Other aliases need the token (anonymous requests get the champion and the canary only).
    expect((await predict({ text: 'fine', model: `${NAME}@challenger`, clientKey: key })).status).toBe(401);
    expect((await predict({ text: 'fine', model: `${NAME}@challenger`, clientKey: key }, { authorization: `Bearer ${env.REGISTRY_TOKEN}` })).body).toMatchObject({ model: { version: v2 }, ref: `${NAME}@challenger` });
    expect((await predict({ text: 'fine', model: `${NAME}@${v1}`, clientKey: key }, { authorization: `Bearer ${env.REGISTRY_TOKEN}` })).body.model.version).toBe(v1);
    expect((await predict({ text: 'fine', model: `${NAME}@canary`, clientKey: 'x' })).body).toMatchObject({ model: { version: v2 }, ref: `${NAME}@canary` });
  });

  it('refuses malformed client keys (400 saying what to send)', async () => {
    for (const clientKey of ['', 'has space', 'x'.repeat(129), 42]) {
      const r = await predict({ text: 'fine', model: NAME, clientKey });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/"clientKey" must be 1-128 printable ASCII characters/);
    }
    const h = await predict({ text: 'fine', model: NAME }, { 'X-Client-Key': 'two words' });
    expect(h.status).toBe(400);
    expect(h.body.error.message).toMatch(/X-Client-Key header must be/);
  });

  it('shadow-scores champion answers only, not canary answers', async () => {
    const champKey = Array.from({ length: 200 }, (_, i) => `s${i}`).find((k) => !servesCanary(k, NAME, SHARE))!;
    const canaryKey = Array.from({ length: 200 }, (_, i) => `s${i}`).find((k) => servesCanary(k, NAME, SHARE))!;
    const a = await predict({ text: 'shadow me', model: NAME, clientKey: champKey }, {}, { SHADOW_RATE: '1' });
    const b = await predict({ text: 'not me', model: NAME, clientKey: canaryKey }, {}, { SHADOW_RATE: '1' });
    const shadowed = async (id: string) => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM shadow_predictions WHERE id = ?1`).bind(id).first<{ n: number }>())!.n;
    expect(await shadowed(a.body.id)).toBe(1);
    expect(await shadowed(b.body.id)).toBe(0);
  });

  it('share 0 sends nobody and share 1 everybody; DELETE ends the canary', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `z${i}`);
    await setCanary(0);
    for (const k of keys.slice(0, 10)) expect((await predict({ text: 'ok', model: NAME, clientKey: k })).body.model.version).toBe(v1);
    await setCanary(1);
    for (const k of keys.slice(10, 20)) expect((await predict({ text: 'ok', model: NAME, clientKey: k })).body.model.version).toBe(v2);
    expect((await callJson('DELETE', `/api/v1/models/${NAME}/aliases/canary`)).status).toBe(204);
    resetResolver();
    for (const k of keys.slice(20)) expect((await predict({ text: 'ok', model: NAME, clientKey: k })).body.model.version).toBe(v1);
  });
});
