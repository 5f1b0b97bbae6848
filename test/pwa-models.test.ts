/**
 * The PWA in a real browser (headless Chromium) against the real Worker (wrangler dev, fresh local
 * D1/R2) serving web/dist, with a tiny model published into its registry (src/pwa-suite.ts): which model version the app runs (a newer champion, a canary share) and the WebGPU backend.
 * The app is built by src/global-setup.ts.
 */
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, servesCanary } from '@sentiment-edge/registry';
import { exactPrediction, launchBrowser, predictText, publishTiny, waitForEngine } from './src/browser.ts';
import { usePwaSuite } from './src/pwa-suite.ts';
import type { LocalWorker } from '@sentiment-edge/worker/local';

const MODEL = 'sentiment';

describe('PWA in Chromium: model versions and WebGPU', () => {
  const pwa = usePwaSuite('pwa-models', MODEL);
  const { contexts, newPage } = pwa;
  let worker: LocalWorker;
  let browser: Browser;
  let client: RegistryClient;
  beforeAll(() => void ({ worker, browser, client } = pwa));

  it('offers a newer champion and switches only when asked', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    await expect.poll(() => page.locator('[data-testid="model-version"]').textContent()).toContain('v1');
    // Metrics and the model card of the version in use.
    expect(await page.locator('[data-testid="metrics"]').textContent()).toMatch(/Accuracy\s*\d+\.\d%/);
    await page.getByText('Model card', { exact: true }).click();
    expect((await page.locator('[data-testid="model-card"]').textContent())?.length).toBeGreaterThan(10);
    const v2 = await publishTiny(worker.url, worker.token, MODEL, 11);
    await page.reload();
    await waitForEngine(page, 'ready');
    await page.locator('[data-testid="newer-champion"]').waitFor();
    expect(await page.locator('[data-testid="model-version"]').textContent()).toContain('v1'); // not swapped silently
    await page.getByRole('button', { name: `Switch to v${v2.version}` }).click();
    await expect.poll(() => page.locator('[data-testid="model-version"]').textContent()).toContain(`v${v2.version}`);
    await waitForEngine(page, 'ready');
    expect((await predictText(page, 'good film')).answeredBy).toContain(`sentiment v${v2.version}`);
    // Put v1 back as champion for any later test.
    await client.setAlias(MODEL, 'champion', { version: 1 });
  });

  it('starts a browser in the canary share on the canary (the same choice /predict makes), others on the champion; offers the champion back when the canary ends', async () => {
    const champion = (await client.getAlias(MODEL, 'champion')).version;
    const canary = await publishTiny(worker.url, worker.token, MODEL, 11, 'challenger');
    await client.setAlias(MODEL, 'canary', { version: canary.version, share: 0.5 });
    const keys = Array.from({ length: 100 }, (_, i) => `pwa-${i}`);
    const inShare = keys.find((k) => servesCanary(k, MODEL, 0.5))!;
    const outShare = keys.find((k) => !servesCanary(k, MODEL, 0.5))!;
    /** A fresh browser whose client key (web/src/lib/canary-choice.ts) is `key`. */
    const open = async (key: string) => {
      const ctx = await browser.newContext({ viewport: { width: 420, height: 900 } });
      contexts.push(ctx);
      await ctx.addInitScript((k) => localStorage.setItem('sentiment-edge.client-key', k), key);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.error('[pageerror]', e.message));
      await page.goto(worker.url + '/');
      await waitForEngine(page, 'ready');
      return page;
    };
    const inside = await open(inShare);
    await expect.poll(() => inside.locator('[data-testid="model-version"]').textContent()).toContain(`v${canary.version}`);
    expect(await inside.locator('[data-testid="newer-champion"]').count()).toBe(0);
    const outside = await open(outShare);
    await expect.poll(() => outside.locator('[data-testid="model-version"]').textContent()).toContain(`v${champion}`);
    // The Worker makes the same choice for the same key.
    await client.reload();
    expect((await client.predict('good film', MODEL, inShare)).model.version).toBe(canary.version);
    expect((await client.predict('good film', MODEL, outShare)).model.version).toBe(champion);
    // The canary ends: the browser on it is offered the champion back, not switched.
    await client.deleteAlias(MODEL, 'canary');
    await inside.reload();
    await waitForEngine(inside, 'ready');
    await inside.locator('[data-testid="newer-champion"]').waitFor();
    expect(await inside.locator('[data-testid="model-version"]').textContent()).toContain(`v${canary.version}`);
    expect(await inside.getByRole('button', { name: `Switch to v${champion}` }).count()).toBe(1);
    await client.deleteAlias(MODEL, 'challenger');
  });

  it('runs on WebGPU when an adapter exists and agrees with WASM', async () => {
    const gpuBrowser = await launchBrowser({ webgpu: true });
    try {
      const ctx = await gpuBrowser.newContext();
      const page = await ctx.newPage();
      await page.goto(worker.url + '/');
      const hasAdapter = await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
      expect(hasAdapter).toBe(true);
      const backend = await waitForEngine(page, 'ready');
      expect(backend).toBe('webgpu');
      const texts = ['the movie was great fun !', 'bad boring film', 'not a good film , awful'];
      const gpu = [];
      for (const t of texts) gpu.push(await exactPrediction(page, t));
      const page2 = await ctx.newPage();
      await page2.goto(worker.url + '/?backend=wasm');
      expect(await waitForEngine(page2, 'ready')).toBe('wasm');
      for (const [i, t] of texts.entries()) {
        const w = await exactPrediction(page2, t);
        expect(gpu[i]!.via).toBe('webgpu');
        // WebGPU runs the fp32 graph, WASM the int8 one: close, not bit-identical.
        for (const l of Object.keys(w.probabilities)) expect(Math.abs(w.probabilities[l]! - gpu[i]!.probabilities[l]!)).toBeLessThan(0.05);
        if (Math.max(...Object.values(w.probabilities)) > 0.55) expect(w.label).toBe(gpu[i]!.label);
      }
    } finally {
      await gpuBrowser.close();
    }
  });
});
