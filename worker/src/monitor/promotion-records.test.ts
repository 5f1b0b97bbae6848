// What the promotion policy keeps in D1, through the Worker: the policy routes (PUT/GET …/policy,
// GET …/decisions) and their documentation, retention of version errors and hold decisions, and the
// failed texts of a broken version counted in its error rate.
import { PromotionPolicy, RegistryClient } from '@sentiment-edge/registry';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { call, callJson, publish, SETTLE_TIMEOUT, TOKEN, uniqueName } from '../../test/helpers.ts';
import { HOUR, runScheduled } from '../../test/monitor.ts';
import { recordVersionError } from '../db/promotion.ts';

const client = () => new RegistryClient({ baseUrl: 'http://registry.test', token: TOKEN, fetch: (input, init) => exports.default.fetch(new Request(input, init)) });

describe('PUT/GET /api/v1/models/{name}/policy and GET …/decisions', () => {
  it('stores a policy with its defaults filled in and reads it back', async () => {
    const name = uniqueName('routes');
    await publish(name);
    expect((await callJson('GET', `/api/v1/models/${name}/policy`)).status).toBe(404);
    const put = await callJson('PUT', `/api/v1/models/${name}/policy`, { body: { minRows: 500, conditions: { latencyP95Factor: null } } });
    expect(put.status).toBe(200);
    expect(put.body.policy).toEqual(PromotionPolicy.parse({ minRows: 500, conditions: { latencyP95Factor: null } }));
    const got = await callJson('GET', `/api/v1/models/${name}/policy`);
    expect(got.body).toMatchObject({ model: name, policy: { minRows: 500, minHours: 24, paused: false, conditions: { latencyP95Factor: null, minShadowAgreement: 0.8 } } });
    // The client methods say the same.
    expect((await client().getPolicy(name)).policy.minRows).toBe(500);
    expect((await client().setPolicy(name, { paused: true })).policy).toMatchObject({ paused: true, minRows: 200 });
    expect(await client().listDecisions(name)).toEqual({ model: name, decisions: [] });
  });

  it('refuses bad policies with 400 naming the field and what to do, and needs the token', async () => {
    const name = uniqueName('routes');
    await publish(name);
    const bad = await callJson('PUT', `/api/v1/models/${name}/policy`, { body: { minRows: 0, conditions: { minShadowAgreement: 1.5 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.message).toMatch(/minRows: minRows must be at least 1/);
    expect(bad.body.error.details.map((d: any) => d.path)).toEqual(['minRows', 'conditions.minShadowAgreement']);
    const unknown = await callJson('PUT', `/api/v1/models/${name}/policy`, { body: { minRowz: 5 } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error)).toContain('minRowz');
    expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: [] })).status).toBe(400);
    const malformed = await call('PUT', `/api/v1/models/${name}/policy`, { body: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect((await call('PUT', `/api/v1/models/${name}/policy`, { body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: {}, token: null })).status).toBe(401);
    expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: {}, token: 'wrong-token-000000' })).status).toBe(403);
    expect((await callJson('GET', `/api/v1/models/${name}/policy`, { token: null })).status).toBe(401);
    expect((await callJson('GET', `/api/v1/models/${name}/decisions`, { token: null })).status).toBe(401);
    const missing = await callJson('PUT', `/api/v1/models/${uniqueName('nosuch')}/policy`, { body: {} });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/publish a version of it before setting its policy/);
    expect((await callJson('PUT', '/api/v1/models/Not%20A%20Name/policy', { body: {} })).status).toBe(400);
    expect((await callJson('GET', `/api/v1/models/${name}/decisions?n=0`)).status).toBe(400);
    expect((await callJson('GET', `/api/v1/models/${name}/policy`)).status).toBe(404);
  });

  it('is documented in /openapi.json', async () => {
    const doc = (await callJson('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/api/v1/models/{name}/policy']).sort()).toEqual(['get', 'put']);
    expect(doc.paths['/api/v1/models/{name}/decisions'].get).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['PromotionPolicy', 'DecisionList']));
  });
});

describe('retention', () => {
  it('HISTORY_DAYS prunes old per-minute version errors and hold decisions, keeping promote and roll back decisions', async () => {
    const name = uniqueName('retain');
    const at = Date.parse('2026-11-20T10:00:00Z');
    const old = new Date(at - 40 * 24 * HOUR);
    await recordVersionError(env.DB, name, 1, 3, old);
    await recordVersionError(env.DB, name, 1, 2, new Date(at - HOUR));
    for (const action of ['hold', 'promote', 'rollback'] as const) {
      await env.DB.prepare(
        `INSERT INTO promotion_decisions (model_name, created_at, candidate_alias, candidate_version, champion_version, action, outcome, reasons, checks, evidence, policy)
         VALUES (?1, ?2, 'canary', 2, 1, ?3, ?4, '[]', '[]', '{}', '{}')`,
      )
        .bind(name, old.toISOString(), action, action === 'hold' ? 'none' : 'applied')
        .run();
    }
    await runScheduled(at, { HISTORY_DAYS: '30' });
    const errors = await env.DB.prepare(`SELECT TOTAL(count) AS n FROM version_errors WHERE model_name = ?1`).bind(name).first<{ n: number }>();
    expect(errors!.n).toBe(2);
    const kept = await env.DB.prepare(`SELECT action FROM promotion_decisions WHERE model_name = ?1 ORDER BY id`).bind(name).all<{ action: string }>();
    expect(kept.results.map((r) => r.action)).toEqual(['promote', 'rollback']);
  });
});

describe('per-version errors', () => {
  it('a version whose model cannot load counts its failed texts in version_errors', async () => {
    const name = uniqueName('broken');
    const v = await publish(name); // DEFAULT_FILES: no tokenizer, no real ONNX graph
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/champion`, { body: { version: v } })).status).toBe(200);
    const res = await callJson('POST', '/api/v1/predict', { body: { texts: ['one', 'two', 'three'], model: name } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('model_unavailable');
    // Written after the answer (waitUntil).
    const count = await vi.waitUntil(async () => (await env.DB.prepare(`SELECT TOTAL(count) AS n FROM version_errors WHERE model_name = ?1 AND model_version = ?2`).bind(name, v).first<{ n: number }>())!.n, SETTLE_TIMEOUT);
    expect(count).toBe(3);
  });
});
