/** Security headers, CORS, JSON-only public POSTs and Cache-Control, through the real Worker entry point. */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY } from '../src/security-headers.ts';
import { call, callJson, sampleValue, scrapeMetrics, waitForMetrics, type Scrape } from './helpers.ts';

const ORIGIN = 'http://registry.test';
const ALLOWED = 'https://allowed.example';

/** The app with ALLOWED_ORIGINS set (the test Worker's own binding is the deployed default: empty). */
function withOrigins(req: Request): Promise<Response> {
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return Promise.resolve(buildApp().fetch(req, { ...env, ALLOWED_ORIGINS: `${ALLOWED}, https://second.example/` }, ctx));
}

describe('security headers', () => {
  it.each(['/docs', '/docs/docs.js', '/openapi.json', '/health', '/api/v1/models', '/api/v1/nope', '/metrics'])('are on %s', async (path) => {
    const res = await call('GET', path, { token: null });
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\)/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('sends HSTS on HTTPS answers, not on plain HTTP (issue 21)', async () => {
    const https = await exports.default.fetch(new Request('https://registry.test/health'));
    expect(https.headers.get('strict-transport-security')).toBe(STRICT_TRANSPORT_SECURITY);
    expect(STRICT_TRANSPORT_SECURITY).toMatch(/^max-age=31536000; includeSubDomains$/);
    const http = await exports.default.fetch(new Request('http://registry.test/health'));
    expect(http.headers.get('strict-transport-security')).toBeNull();
  });

  it('the CSP allows no inline script, framing or foreign connections', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|'unsafe-eval'/);
  });

  it('/docs has no inline script or style and its script is served beside it', async () => {
    const html = await (await call('GET', '/docs')).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const js = await call('GET', '/docs/docs.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("fetch('/openapi.json')");
    expect((await call('GET', '/docs/docs.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('JSON answers carry Cache-Control: no-store unless they set their own', async () => {
    for (const path of ['/api/v1/models', '/api/v1/models/nope', '/openapi.json', '/api/v1/history?n=0']) {
      const res = await call('GET', path, { token: null });
      expect({ path, cc: res.headers.get('cache-control') }).toEqual({ path, cc: 'no-store' });
    }
  });
});

describe('JSON-only public POSTs', () => {
  it.each(['/predict', '/api/v1/predict', '/api/v1/history'])('%s answers 415 to a form, text/plain or no Content-Type', async (path) => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', null]) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const req = new Request(ORIGIN + path, { method: 'POST', headers, body: '{"text":"good"}' });
      if (!type) req.headers.delete('content-type');
      const res = await exports.default.fetch(req);
      const body: any = await res.json();
      expect({ type, status: res.status, code: body.error?.code }).toEqual({ type, status: 415, code: 'unsupported_media_type' });
      expect(body.error.message).toMatch(/application\/json/);
    }
    // JSON with a charset passes the check (and then fails validation, not the media type).
    const ok = await call('POST', path, { body: '{}', headers: { 'content-type': 'application/json; charset=utf-8' }, token: null });
    expect(ok.status).not.toBe(415);
  });
});

describe('CORS', () => {
  it('sends no CORS headers by default (ALLOWED_ORIGINS empty) and refuses foreign preflights with 403', async () => {
    const get = await call('GET', '/api/v1/models', { headers: { origin: 'https://evil.example' }, token: null });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await exports.default.fetch(
      new Request(ORIGIN + '/api/v1/predict', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
    );
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await pre.json()) as any).error.code).toBe('forbidden');
  });

  it('answers preflights from an allowed origin and marks its responses', async () => {
    const pre = await withOrigins(
      new Request(ORIGIN + '/api/v1/predict', { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(pre.headers.get('access-control-max-age')).toBe('600');
    expect(pre.headers.get('vary')).toMatch(/Origin/);
    const second = await withOrigins(new Request(ORIGIN + '/api/v1/models', { headers: { origin: 'https://second.example' } }));
    expect(second.headers.get('access-control-allow-origin')).toBe('https://second.example');
    expect(second.headers.get('vary')).toMatch(/Origin/);
    const other = await withOrigins(new Request(ORIGIN + '/api/v1/models', { headers: { origin: 'https://allowed.example.evil' } }));
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the Worker’s own origin through without an allow-list entry', async () => {
    const pre = await exports.default.fetch(new Request(ORIGIN + '/api/v1/history', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } }));
    expect(pre.status).toBe(204);
  });
});

describe('unknown routes in metrics', () => {
  it('count as 404 under the route pattern they fell into (D1 rollup)', async () => {
    const admin = { route: '/api/v1/admin/*', status: '404' };
    const predict = { route: '/predict', status: '404' };
    const before = await scrapeMetrics();
    expect((await callJson('POST', '/api/v1/admin/nope', { body: {} })).status).toBe(404);
    expect((await callJson('GET', '/predict')).status).toBe(404);
    const grew = (m: Scrape) =>
      sampleValue(m, 'sentiment_errors_total', admin) === sampleValue(before, 'sentiment_errors_total', admin) + 1 &&
      sampleValue(m, 'sentiment_errors_total', predict) === sampleValue(before, 'sentiment_errors_total', predict) + 1;
    await waitForMetrics(grew);
  });
});
