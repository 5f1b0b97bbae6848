/**
 * The set-up the PWA test files share: a real Worker (wrangler dev, fresh local D1/R2) serving web/dist,
 * a tiny model published as `champion`, headless Chromium, and pages opened under the app's
 * Content-Security-Policy, whose violations fail the file. Call it inside a `describe`: it registers
 * that describe's beforeAll/afterAll.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { launchBrowser, publishTiny } from './browser.ts';

export interface PwaSuite {
  readonly worker: LocalWorker;
  readonly browser: Browser;
  readonly client: RegistryClient;
  /** Every browser context the file opened (closed after the file). */
  readonly contexts: BrowserContext[];
  /** A new context and page at `path`, checked to be served with the app's CSP. */
  newPage(path?: string, options?: Parameters<Browser['newContext']>[0]): Promise<{ ctx: BrowserContext; page: Awaited<ReturnType<BrowserContext['newPage']>> }>;
  /** How many browser rows the server's history holds. */
  serverHistory(): Promise<number>;
}

export function usePwaSuite(label: string, model: string): PwaSuite {
  let worker: LocalWorker | undefined;
  let browser: Browser | undefined;
  let client: RegistryClient | undefined;
  const contexts: BrowserContext[] = [];
  /** Console reports of Content-Security-Policy violations (pages and their workers). */
  const cspViolations: string[] = [];
  const started = <T>(what: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`${what} is not started (usePwaSuite's beforeAll failed)`);
    return v;
  };

  const suite: PwaSuite = {
    get worker() {
      return started('the Worker', worker);
    },
    get browser() {
      return started('the browser', browser);
    },
    get client() {
      return started('the registry client', client);
    },
    contexts,
    async newPage(path = '/', options = {}) {
      const ctx = await suite.browser.newContext({ viewport: { width: 420, height: 900 }, acceptDownloads: true, ...options });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error('[pageerror]', e.message));
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      const res = await page.goto(suite.worker.url + path);
      // The app shell is served with the app's CSP (web/public/_headers); the checks below run under it.
      expect(res?.headers()['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
      return { ctx, page };
    },
    async serverHistory() {
      const page = await suite.client.history({ n: 500, source: 'browser' });
      return page.items.length;
    },
  };

  beforeAll(async () => {
    worker = await startLocalWorker();
    console.log(`[${label}] Worker at ${worker.url}`);
    client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    await publishTiny(worker.url, worker.token, model, 7);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    expect(cspViolations).toEqual([]);
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await worker?.stop();
  });

  return suite;
}
