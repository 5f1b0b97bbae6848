/**
 * The PWA in a real browser (headless Chromium) against the real Worker (wrangler dev, fresh local
 * D1/R2) serving web/dist, with a tiny model published into its registry (src/pwa-suite.ts): predicting on the device, waiting for the model, saving and syncing history, CSV batches, offline use and the server fallback.
 * The app is built by src/global-setup.ts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { parseCsv } from '../web/src/lib/csv.ts';
import { exactPrediction, predictText, readPrediction, waitForEngine, waitForServiceWorker } from './src/browser.ts';
import { usePwaSuite } from './src/pwa-suite.ts';
import { REPO_ROOT, type LocalWorker } from '@sentiment-edge/worker/local';

const MODEL = 'sentiment';

describe('PWA in Chromium', () => {
  const pwa = usePwaSuite('pwa', MODEL);
  const { newPage, serverHistory } = pwa;
  let worker: LocalWorker;
  let browser: Browser;
  beforeAll(() => void ({ worker, browser } = pwa));

  it('predicts in the browser (WASM) with every label probability and the model version', async () => {
    const { page } = await newPage();
    expect(await waitForEngine(page, 'ready')).toBe('wasm');
    const shown = await predictText(page, 'the movie was great fun !');
    expect(Object.keys(shown.probabilities).sort()).toEqual(['negative', 'positive']);
    const sum = Object.values(shown.probabilities).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 2);
    expect(shown.answeredBy).toMatch(/sentiment v1 · on this device \(WASM\)/);
    const exact = await exactPrediction(page, 'the movie was great fun !');
    expect(exact.label).toBe(shown.label);
    expect(exact.via).toBe('wasm');
  });

  it('waits for the model instead of erring, shows which words pushed the answer, and is honest about gibberish', async () => {
    const { page } = await newPage();
    // Typed during the first load: a loading state, never an error, then the answer for that text.
    await page.evaluate(() => {
      const w = globalThis as unknown as { shownErrors: string[] };
      w.shownErrors = [];
      new MutationObserver(() => {
        const e = document.querySelector('[data-testid="result"] .error');
        if (e) w.shownErrors.push(e.textContent ?? '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const text = 'a great and wonderful film';
    await page.getByLabel('Text to classify').fill(text);
    const shown = await readPrediction(page, text);
    expect(await page.evaluate(() => (globalThis as unknown as { shownErrors: string[] }).shownErrors)).toEqual([]);
    expect(shown.label).toBe('positive');
    // Why this label: the words that pushed towards it are marked in the text, with a spoken explanation, and listed in words.
    // It follows the answer (shown first) once the worker has worked it out.
    await page.locator('[data-testid="why"]').waitFor();
    const pushedFor = await page.locator('[data-testid="why"] .explained mark[data-push="for"]').allTextContents();
    expect(pushedFor.join(' ')).toMatch(/(great|wonderful) \(pushed towards positive\)/);
    expect(await page.locator('[data-testid="why-towards"]').textContent()).toMatch(/Made the answer more positive:.*“(great|wonderful)”/);
    // Gibberish: every word is unknown to the model, so no bold verdict, a note, and nothing to explain.
    await predictText(page, 'asdf qwer zxcv');
    const verdict = page.locator('[data-testid="verdict"]');
    expect(await verdict.getAttribute('data-confidence')).toBe('uncertain');
    expect(await verdict.textContent()).toMatch(/Leaning (▲|▼) (positive|negative)/);
    expect(await page.locator('[data-testid="unknown-words-note"]').textContent()).toContain('Most of these words are unknown to the model');
    expect(await page.locator('[data-testid="why"]').count()).toBe(0);
  });

  it('saves predictions to the history, which survives a reload and syncs once', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    const before = await serverHistory();
    await predictText(page, 'bad boring film', true);
    await predictText(page, 'a great film', true);
    const items = page.locator('[data-testid="history-item"]');
    await expect.poll(() => items.count()).toBe(2);
    await expect.poll(() => page.locator('[data-testid="history-item"][data-sync="synced"]').count(), { timeout: 15_000 }).toBe(2);
    expect(await items.first().textContent()).toContain('a great film'); // newest first
    await page.reload();
    await waitForEngine(page, 'ready');
    await expect.poll(() => items.count()).toBe(2);
    // Search and label filter.
    await page.getByLabel('Search').fill('boring');
    await expect.poll(() => items.count()).toBe(1);
    await page.getByLabel('Search').fill('');
    await expect.poll(() => items.count()).toBe(2);
    expect(await serverHistory()).toBe(before + 2);
    // The main screen, for the README: UPDATE_SCREENSHOT=1 pnpm test refreshes docs/screenshot.png.
    if (process.env.UPDATE_SCREENSHOT) {
      await page.setViewportSize({ width: 1024, height: 1180 });
      await predictText(page, 'a great film , good fun');
      mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: join(REPO_ROOT, 'docs/screenshot.png') });
    }
  });

  it('classifies a CSV and downloads it with prediction columns', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: String(i), review: i % 2 ? `great fun film number ${i}` : `bad, boring movie ${i}` }));
    await page.getByLabel('Drop a CSV file here or choose one').setInputFiles({ name: 'reviews.csv', mimeType: 'text/csv', buffer: Buffer.from(['id,review', ...rows.map((r) => `${r.id},"${r.review}"`)].join('\n')) });
    expect(await page.getByLabel('Text column').inputValue()).toBe('review');
    await page.getByRole('button', { name: 'Classify 300 rows' }).click();
    await page.locator('[data-testid="batch-done"]').waitFor();
    expect(await page.locator('[data-testid="batch-done"]').textContent()).toContain('300 rows classified');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="download"]').click()]);
    expect(download.suggestedFilename()).toBe('reviews.predictions.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const parsed = parseCsv(csv);
    expect(parsed.rows).toHaveLength(300);
    expect(parsed.fields).toEqual(['id', 'review', 'predicted_label', 'confidence', 'p_negative', 'p_positive', 'note']);
    expect(parsed.rows.every((r, i) => r.id === String(i) && r.review === rows[i]!.review && ['negative', 'positive'].includes(r.predicted_label!))).toBe(true);
  });

  it('works offline after one visit and syncs offline predictions exactly once after reconnecting', async () => {
    const { ctx, page } = await newPage();
    await waitForEngine(page, 'ready');
    await waitForServiceWorker(page);
    const before = await serverHistory();

    await ctx.setOffline(true);
    await page.reload();
    expect(await waitForEngine(page, 'ready')).toBe('wasm');
    await expect.poll(() => page.locator('[data-testid="network"]').textContent()).toContain('offline');
    // The shell came from the service worker, the model from the app's verified Cache Storage copy.
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { sentimentEdge: { engine: { fromCache: boolean } } }).sentimentEdge.engine.fromCache)).toBe(true);
    const shown = await predictText(page, 'was the film good ?', true);
    expect(shown.answeredBy).toContain('on this device');
    await expect.poll(() => page.locator('[data-testid="history-item"][data-sync="pending"]').count()).toBe(1);
    expect(await serverHistory()).toBe(before);

    await ctx.setOffline(false);
    await expect.poll(() => page.locator('[data-testid="history-item"][data-sync="synced"]').count(), { timeout: 20_000 }).toBe(1);
    expect(await serverHistory()).toBe(before + 1);
    // Another sync (reload triggers one) sends nothing more.
    await page.reload();
    await waitForEngine(page, 'ready');
    await page.waitForTimeout(1000);
    expect(await serverHistory()).toBe(before + 1);
  });

  it('offline with no stored model says what to do', async () => {
    // First visit installs the app shell but (with ?fail=model) never downloads the model.
    const { ctx, page } = await newPage('/?fail=model');
    await waitForEngine(page, 'server');
    await waitForServiceWorker(page);
    await ctx.setOffline(true);
    await page.goto(worker.url + '/');
    await waitForEngine(page, 'unavailable');
    const msg = (await page.locator('[data-testid="engine-message"]').textContent()) ?? '';
    expect(msg).toMatch(/offline and sentiment v1 is not stored on this device yet\. Connect to the internet and reload once/);
    await ctx.setOffline(false);
    expect(await waitForEngine(page, 'ready')).toBe('wasm'); // reconnecting loads it without a reload
  });

  it('falls back to the server when the in-browser model cannot load', async () => {
    const { page } = await newPage('/?fail=model');
    await waitForEngine(page, 'server');
    expect(await page.locator('[data-testid="engine-message"]').textContent()).toMatch(/could not be loaded.*server instead/s);
    // The server keeps what it answers: nothing is sent while typing, only on "Classify and save" (issue 23).
    await page.getByLabel('Text to classify').fill('great fi');
    expect(await page.locator('[data-testid="server-live-note"]').textContent()).toContain('sent only when you press');
    const shown = await predictText(page, 'great film', true);
    expect(shown.answeredBy).toMatch(/sentiment v1 · server/);
  });

  it('refuses a corrupted model file with a clear message, and recovers by downloading again', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    const corrupted = await page.evaluate(async () => {
      const cache = await caches.open('sentiment-edge-models-v1');
      const key = (await cache.keys()).find((r) => r.url.endsWith('.onnx'))!;
      const bytes = new Uint8Array(await (await cache.match(key))!.arrayBuffer());
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      await cache.put(key, new Response(bytes));
      return key.url;
    });
    expect(corrupted).toMatch(/model_quantized\.onnx$/);
    await page.reload();
    await waitForEngine(page, 'server');
    const msg = (await page.locator('[data-testid="engine-message"]').textContent()) ?? '';
    expect(msg).toContain('The model was refused');
    expect(msg).toContain('onnx/model_quantized.onnx');
    expect(msg).toContain('does not match');
    await page.getByRole('button', { name: 'Download again' }).click();
    expect(await waitForEngine(page, 'ready')).toBe('wasm');
  });

});
