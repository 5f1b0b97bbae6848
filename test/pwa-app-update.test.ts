/**
 * The PWA in a real browser (headless Chromium) against the real Worker (wrangler dev, fresh local
 * D1/R2) serving web/dist, with a tiny model published into its registry (src/pwa-suite.ts): a new deployment of the app itself. It rewrites web/dist/sw.js (restored after), which every Worker started from this checkout serves, so it runs in the `serial` project, after the files that run side by side (vitest.config.ts).
 * The app is built by src/global-setup.ts.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { predictText, waitForEngine, waitForServiceWorker } from './src/browser.ts';
import { usePwaSuite } from './src/pwa-suite.ts';
import { REPO_ROOT, type LocalWorker } from '@sentiment-edge/worker/local';

const MODEL = 'sentiment';

describe('PWA in Chromium: app updates', () => {
  const pwa = usePwaSuite('pwa-app-update', MODEL);
  const { newPage } = pwa;
  let worker: LocalWorker;
  beforeAll(() => void ({ worker } = pwa));

  it('announces a new app version and applies it only when the user asks', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    await waitForServiceWorker(page);
    await page.reload(); // now controlled by the service worker
    await waitForEngine(page, 'ready');
    const swPath = join(REPO_ROOT, 'web/dist/sw.js');
    const original = readFileSync(swPath, 'utf8');
    try {
      appendFileSync(swPath, `\n// new deployment ${Date.now()}\n`);
      const banner = page.getByText('A new version of the app is ready.');
      await expect
        .poll(
          async () => {
            await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update().catch(() => undefined));
            return banner.isVisible();
          },
          { timeout: 30_000, interval: 1000 },
        )
        .toBe(true);
      // Still the old version in charge until the user accepts: the page keeps working.
      expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(true);
      expect((await predictText(page, 'great fun')).answeredBy).toContain('on this device');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload to update' }).click()]);
      await waitForEngine(page, 'ready');
      expect(await page.evaluate(async () => !(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(true);
    } finally {
      writeFileSync(swPath, original);
    }
  });

});
