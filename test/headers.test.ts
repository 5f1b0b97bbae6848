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

  it('are the same on static assets (index, 404 page, robots.txt, JS, WASM) and on Worker answers', async () => {
    const assets = readdirSync(join(REPO_ROOT, 'web/dist/assets'));
    const js = assets.find((f) => /^index-.*\.js$/.test(f))!;
    const wasm = assets.find((f) => f.endsWith('.wasm'))!;
    const paths = ['/', '/index.html', '/some/unknown/path', '/robots.txt', `/assets/${js}`, `/assets/${wasm}`, '/sw.js', '/manifest.webmanifest', '/docs', '/docs/docs.js', '/api/v1/models', '/api/v1/nope', '/health'];
    const notFound = new Set(['/api/v1/nope', '/some/unknown/path']);
    const reference = await fetch(`${worker.url}/api/v1/models`);
    const expected = Object.fromEntries(SAME_EVERYWHERE.map((h) => [h, reference.headers.get(h)]));
    expect(expected['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    for (const path of paths) {
      const res = await fetch(worker.url + path);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status: notFound.has(path) ? 404 : 200 });
      expect({ path, ...Object.fromEntries(SAME_EVERYWHERE.map((h) => [h, res.headers.get(h)])) }).toEqual({ path, ...expected });
    }
  });

  it('answers unknown paths with a real 404 page and serves robots.txt', async () => {
    const res = await fetch(`${worker.url}/no/such/page`);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('Page not found');
    expect(html).not.toContain('<div id="app">');
    const robots = await fetch(`${worker.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(await robots.text()).toMatch(/^User-agent: \*$/m);
    // The app itself still answers at / (its views are #/… hashes).
    const app = await fetch(`${worker.url}/?backend=wasm`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('<div id="app">');
  });

  it('caches hashed assets for a year (immutable) and revalidates the shell and the service worker', async () => {
    const js = readdirSync(join(REPO_ROOT, 'web/dist/assets')).find((f) => /^index-.*\.js$/.test(f))!;
    const asset = await fetch(`${worker.url}/assets/${js}`);
    await asset.arrayBuffer();
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/sw.js', '/manifest.webmanifest']) {
      const res = await fetch(worker.url + path);
      await res.arrayBuffer();
      expect({ path, cc: res.headers.get('cache-control') ?? '' }).not.toMatchObject({ path, cc: expect.stringContaining('immutable') });
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
