/** /health, /live, /ready, /openapi.json, /docs, unknown routes. */
import { routes } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, callJson, publish } from './helpers.ts';

describe('ops', () => {
  it('/health and /live', async () => {
    const health = await callJson('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(Date.parse(health.body.time)).not.toBeNaN();
    expect((await callJson('GET', '/live')).body).toEqual({ live: true });
  });

  it('/ready is 503 with Retry-After until DEFAULT_MODEL has a champion, then 200', async () => {
    const model = env.DEFAULT_MODEL;
    const before = await callJson('GET', '/ready');
    expect(before.status).toBe(503);
    expect(before.res.headers.get('retry-after')).toBe('30');
    expect(before.body).toMatchObject({ ready: false, checks: { d1: { ok: true }, champion: { ok: false } } });
    const v = await publish(model);
    expect((await call('GET', '/ready')).status).toBe(503);
    await callJson('PUT', routes.alias(model, 'champion'), { body: { version: v } });
    const after = await callJson('GET', '/ready');
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ ready: true, checks: { d1: { ok: true }, champion: { ok: true, message: `${model}@${v}` } } });
  });

  it('/openapi.json lists every registry route', async () => {
    const { status, body } = await callJson('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const paths = body.paths as Record<string, Record<string, { security?: unknown[] }>>;
    const expected: [string, string][] = [
      ['get', '/api/v1/models'],
      ['get', '/api/v1/models/{name}'],
      ['get', '/api/v1/models/{name}/versions'],
      ['post', '/api/v1/models/{name}/versions'],
      ['get', '/api/v1/models/{name}/versions/{version}'],
      ['get', '/api/v1/models/{name}/refs/{ref}'],
      ['put', '/api/v1/models/{name}/versions/{version}/files/{path}'],
      ['get', '/api/v1/models/{name}/versions/{version}/files/{path}'],
      ['post', '/api/v1/models/{name}/versions/{version}/finalize'],
      ['post', '/api/v1/models/{name}/versions/{version}/archive'],
      ['get', '/api/v1/models/{name}/aliases'],
      ['get', '/api/v1/models/{name}/aliases/{alias}'],
      ['put', '/api/v1/models/{name}/aliases/{alias}'],
      ['delete', '/api/v1/models/{name}/aliases/{alias}'],
      ['get', '/api/v1/models/{name}/aliases/{alias}/history'],
      ['get', '/health'],
      ['get', '/live'],
      ['get', '/ready'],
    ];
    for (const [method, path] of expected) expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(paths['/api/v1/models/{name}/versions']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(paths['/api/v1/models/{name}/versions']!.get!.security).toBeUndefined();
    expect(body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('/docs is a self-contained page', async () => {
    const res = await call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
  });

  it('unknown routes are JSON 404s', async () => {
    const res = await callJson('GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
