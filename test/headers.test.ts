/**
 * Security headers on a real `wrangler dev`: the PWA's static files come from the ASSETS binding
 * (web/public/_headers) and never reach the Worker, the API and /docs come from the Worker
 * (worker/src/security-headers.ts). Both must send the same policy.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';

const SAME_EVERYWHERE = ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'permissions-policy', 'cross-origin-opener-policy', 'x-frame-options'];

describe('security headers on wrangler dev', () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker();
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('are the same on static assets (index, SPA fallback, JS, WASM) and on Worker answers', async () => {
    const assets = readdirSync(join(REPO_ROOT, 'web/dist/assets'));
    const js = assets.find((f) => /^index-.*\.js$/.test(f))!;
    const wasm = assets.find((f) => f.endsWith('.wasm'))!;
    const paths = ['/', '/index.html', '/some/client/route', `/assets/${js}`, `/assets/${wasm}`, '/sw.js', '/manifest.webmanifest', '/docs', '/docs/docs.js', '/api/v1/models', '/api/v1/nope', '/health'];
    const reference = await fetch(`${worker.url}/api/v1/models`);
    const expected = Object.fromEntries(SAME_EVERYWHERE.map((h) => [h, reference.headers.get(h)]));
    expect(expected['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    for (const path of paths) {
      const res = await fetch(worker.url + path);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status: path === '/api/v1/nope' ? 404 : 200 });
      expect({ path, ...Object.fromEntries(SAME_EVERYWHERE.map((h) => [h, res.headers.get(h)])) }).toEqual({ path, ...expected });
    }
  });

  it('does not serve the _headers file itself', async () => {
    const res = await fetch(`${worker.url}/_headers`);
    expect(await res.text()).not.toContain('Content-Security-Policy:');
  });

  it('the built app shell has no inline script', async () => {
    const html = await (await fetch(worker.url + '/')).text();
    expect(html).toMatch(/<script[^>]*\bsrc=/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
