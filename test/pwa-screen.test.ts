/**
 * The PWA in a real browser (headless Chromium) against the real Worker (wrangler dev, fresh local
 * D1/R2) serving web/dist, with a tiny model published into its registry (src/pwa-suite.ts): the phone layout, the input limits, the history screen, background sync, dark mode and the install/storage details.
 * The app is built by src/global-setup.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { parseCsv } from '../web/src/lib/csv.ts';
import { predictText, waitForEngine, waitForServiceWorker } from './src/browser.ts';
import { usePwaSuite } from './src/pwa-suite.ts';
import { REPO_ROOT, type LocalWorker } from '@sentiment-edge/worker/local';

const MODEL = 'sentiment';

describe('PWA in Chromium: screen, input, history', () => {
  const pwa = usePwaSuite('pwa-screen', MODEL);
  const { newPage, serverHistory } = pwa;
  let worker: LocalWorker;
  let browser: Browser;
  let client: RegistryClient;
  beforeAll(() => void ({ worker, browser, client } = pwa));

  /** Whether the page is wider than the screen (a sideways scroll of the whole page). */
  const pageOverflow = (page: Page) => page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth }));


  it('keeps a phone screen (390 × 844) wide enough before and after a batch run, with the model card open', async () => {
    const { page } = await newPage('/', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await waitForEngine(page, 'ready');
    // No layout shift while the app and the model load (Lighthouse counts it as CLS).
    await page.waitForTimeout(500);
    const shifts = await page.evaluate(
      () =>
        new Promise<{ value: number; sources: string[] }[]>((resolve) => {
          const out: { value: number; sources: string[] }[] = [];
          new PerformanceObserver((list) => {
            for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean; sources?: { node?: Node }[] }[]) {
              if (!e.hadRecentInput) out.push({ value: e.value, sources: (e.sources ?? []).map((s) => (s.node instanceof Element ? s.node.outerHTML.slice(0, 60) : String(s.node?.nodeName))) });
            }
          }).observe({ type: 'layout-shift', buffered: true });
          setTimeout(() => resolve(out), 100);
        }),
    );
    console.log(`[pwa] layout shift while loading at 390 × 844: ${shifts.reduce((n, s) => n + s.value, 0).toFixed(4)}`, JSON.stringify(shifts));
    expect(shifts.reduce((n, s) => n + s.value, 0)).toBeLessThanOrEqual(0.05);
    const before = await pageOverflow(page);
    expect(before.innerWidth).toBe(390);
    expect(before.scrollWidth).toBeLessThanOrEqual(before.innerWidth);
    await page.getByText('Model card', { exact: true }).click();
    await page.locator('[data-testid="model-card"]').waitFor();
    await predictText(page, 'a great film , good fun', true);
    // Long unbroken words and many columns: the kind of CSV that widened the page to 644 px.
    const long = 'averyveryverylongwordwithoutanyspacesatallthatcannotwrap'.repeat(3);
    const header = 'id,review,stars,reviewer_name_in_full,date_of_the_review,country_of_the_reviewer';
    const lines = Array.from({ length: 40 }, (_, i) => `${i},"${i % 2 ? 'great fun film' : 'bad boring movie'} ${long}",5,someone with a long name ${i},2026-11-${String((i % 28) + 1).padStart(2, '0')},a country far away`);
    await page.getByLabel('Drop a CSV file here or choose one').setInputFiles({ name: 'wide.csv', mimeType: 'text/csv', buffer: Buffer.from([header, ...lines].join('\n')) });
    await page.getByRole('button', { name: 'Classify 40 rows' }).click();
    await page.locator('[data-testid="batch-done"]').waitFor();
    const after = await pageOverflow(page);
    expect(after.scrollWidth).toBeLessThanOrEqual(after.innerWidth);
    // The results fit the screen: the text wraps, so nothing scrolls sideways (issue 23: the answer was off-screen).
    const wrap = page.locator('[data-testid="batch-table"]');
    expect(await wrap.evaluate((el) => ({ inside: el.scrollWidth > el.clientWidth, fits: el.getBoundingClientRect().right <= innerWidth }))).toEqual({ inside: false, fits: true });
    // Every control is on the screen (none cut off at the right edge).
    const offscreen = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button, select, input, textarea, a.button, summary, [data-testid="model-card"], [data-testid="metrics"]'))
        .filter((el) => (el as HTMLElement).offsetParent !== null && !el.closest('[data-testid="batch-table"]'))
        .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5)
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(offscreen).toEqual([]);
    if (process.env.UPDATE_SCREENSHOT) {
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: join(REPO_ROOT, 'docs/screenshot-phone.png') });
    }
  });

  it('says what would be lost: a character counter and a cut paste, CSV warnings, and an unusable file replaces old results', async () => {
    const { ctx, page } = await newPage();
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.url });
    await waitForEngine(page, 'ready');
    const box = page.getByLabel('Text to classify');
    await box.fill('good film');
    expect(await page.locator('[data-testid="char-count"]').textContent()).toMatch(/9 \/ 5,000 characters/);
    expect(await box.getAttribute('aria-describedby')).toBe('text-count');
    // A 6000-character paste is cut to the limit, and the page says so.
    await box.fill('');
    await page.evaluate((t) => navigator.clipboard.writeText(t), 'great '.repeat(1000));
    await box.focus();
    await page.keyboard.press('ControlOrMeta+V');
    await expect.poll(() => box.inputValue().then((v) => v.length)).toBe(5000);
    expect(await page.locator('[data-testid="char-count"]').textContent()).toMatch(/5,000 \/ 5,000 characters/);
    expect(await page.locator('[data-testid="cut-note"]').textContent()).toMatch(/had 6000 characters; only the first 5,000 were kept \(1,000 cut off\)/);
    await box.fill('short again');
    expect(await page.locator('[data-testid="cut-note"]').count()).toBe(0);
    // The test model reads 4096 tokens, so a 3400-character text is read whole: no "longer than the model reads" note.
    await predictText(page, 'a fine film , then it got worse . '.repeat(100));
    expect(await page.locator('[data-testid="length-note"]').count()).toBe(0);

    const file = page.getByLabel('Drop a CSV file here or choose one');
    const warnings = page.locator('[data-testid="csv-warnings"]');
    // An unclosed quote merges the following lines into one row: said before classifying.
    await file.setInputFiles({ name: 'quote.csv', mimeType: 'text/csv', buffer: Buffer.from('id,review\n1,"great film\n2,bad film\n3,ok film\n4,fine film\n') });
    await expect.poll(() => warnings.textContent()).toMatch(/opened on line 2 of the file and never closed/);
    expect(await page.getByRole('button', { name: /^Classify 1 row$/ }).count()).toBe(1);
    // A file without a header row: its first line would be lost, unless the user says it is data.
    await file.setInputFiles({ name: 'plain.csv', mimeType: 'text/csv', buffer: Buffer.from('what a wonderful film this was,5\nbad and boring,1\nfun,4\n') });
    // (files are read asynchronously: wait for this file's warnings to replace the last one's)
    await expect.poll(() => warnings.textContent()).toMatch(/looks like data, not column names/);
    expect(await page.getByRole('button', { name: 'Classify 2 rows' }).count()).toBe(1);
    await page.getByRole('button', { name: 'The first line is data: classify it too' }).click();
    await expect.poll(() => warnings.count()).toBe(0);
    expect(await page.getByLabel('Text column').inputValue()).toBe('column_1');
    await page.getByRole('button', { name: 'Classify 3 rows' }).click();
    await page.locator('[data-testid="batch-done"]').waitFor();
    expect(await page.locator('[data-testid="batch-table"] tbody tr').count()).toBe(3);
    // An empty file: its error replaces the previous file's table and results.
    await file.setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.from('') });
    await expect.poll(() => page.locator('[data-testid="batch-done"]').count()).toBe(0);
    expect(await page.locator('#batch-h ~ .error, section[aria-labelledby="batch-h"] .error').first().textContent()).toBe('Could not use empty.csv: the file is empty.');
    expect(await page.locator('[data-testid="batch-done"]').count()).toBe(0);
    expect(await page.locator('[data-testid="batch-table"]').count()).toBe(0);
    expect(await page.getByLabel('Text column').count()).toBe(0);
  });

  it('history: word-start search, long texts collapsed, delete one, export CSV and JSON, batch results saved on request', async () => {
    const { page } = await newPage();
    await waitForEngine(page, 'ready');
    const items = page.locator('[data-testid="history-item"]');
    const start = await items.count();
    const long = `${'a good and pleasant film with fine acting '.repeat(70)}the end`;
    for (const t of ['another great film', 'not bad at all', long]) await predictText(page, t, true);
    await expect.poll(() => items.count()).toBe(start + 3);
    // Long texts are collapsed, with a way to read them whole.
    const longItem = items.first(); // newest first
    expect(((await longItem.locator('[data-testid="history-text"]').textContent()) ?? '').length).toBeLessThan(400);
    await longItem.getByRole('button', { name: `Show more (${long.length.toLocaleString('en')} characters)` }).click();
    expect(await longItem.locator('[data-testid="history-text"]').textContent()).toBe(long);
    // Search matches at the start of words: "not" finds "not bad", never "another".
    await page.getByLabel('Search').fill('not');
    await expect.poll(() => items.allTextContents().then((t) => t.map((x) => x.includes('not bad at all')))).toEqual([true]);
    await page.getByLabel('Search').fill('');
    await expect.poll(() => items.count()).toBe(start + 3);
    // Delete one row from this device.
    await items.filter({ hasText: 'another great film' }).getByRole('button', { name: /^Delete from this device/ }).click();
    await expect.poll(() => items.count()).toBe(start + 2);
    expect(await items.filter({ hasText: 'another great film' }).count()).toBe(0);
    // Batch results reach the history only when asked.
    await page.getByLabel('Drop a CSV file here or choose one').setInputFiles({ name: 'b.csv', mimeType: 'text/csv', buffer: Buffer.from('text\nbatch row one is great\nbatch row two is bad\n') });
    await page.getByRole('button', { name: 'Classify 2 rows' }).click();
    await page.locator('[data-testid="batch-done"]').waitFor();
    expect(await page.locator('[data-testid="batch-save"]').textContent()).toContain('not in the history yet');
    expect(await items.count()).toBe(start + 2);
    await page.getByRole('button', { name: 'Save 2 results to the history' }).click();
    expect(await page.locator('[data-testid="batch-saved"]').textContent()).toBe('Saved 2 results to the history.');
    await expect.poll(() => items.count()).toBe(start + 4);
    await expect.poll(() => page.locator('[data-testid="history-item"][data-sync="pending"]').count(), { timeout: 15_000 }).toBe(0);
    // Export: every row on the device, as CSV and as JSON.
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV', exact: true }).click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^sentiment-history-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = parseCsv(readFileSync((await csvDownload.path())!, 'utf8'));
    expect(csv.rows).toHaveLength(start + 4);
    expect(csv.rows.map((r) => r.text)).toEqual(expect.arrayContaining(['not bad at all', long, 'batch row one is great', 'batch row two is bad']));
    expect(csv.fields).toEqual(expect.arrayContaining(['created_at', 'text', 'label', 'confidence', 'p_negative', 'p_positive', 'sync_state']));
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'JSON', exact: true }).click()]);
    const json = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as { count: number; items: { id: string; text: string }[] };
    expect(json.count).toBe(start + 4);
    expect(new Set(json.items.map((i) => i.id))).toEqual(new Set(csv.rows.map((r) => r.id)));
    // Deleted rows stay deleted after a reload.
    await page.reload();
    await waitForEngine(page, 'ready');
    await expect.poll(() => items.count()).toBe(start + 4);
    expect(await items.filter({ hasText: 'another great film' }).count()).toBe(0);
  });

  it('syncs by itself, with backoff, when the server answers again (no click)', async () => {
    // No service worker in this context, so the page's own requests can be routed.
    const { page } = await newPage('/', { serviceWorkers: 'block' });
    await waitForEngine(page, 'ready');
    const before = await serverHistory();
    let refused = 0;
    await page.route('**/api/v1/history', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      refused++;
      return route.abort('connectionrefused');
    });
    await predictText(page, 'the server is down but this is kept', true);
    await expect.poll(() => page.getByText('Trying again automatically').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => refused, { timeout: 15_000 }).toBeGreaterThanOrEqual(2); // retried by itself
    expect(await page.locator('[data-testid="history-item"][data-sync="pending"]').count()).toBe(1);
    await page.unroute('**/api/v1/history');
    await expect.poll(() => page.locator('[data-testid="history-item"][data-sync="pending"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await serverHistory()).toBe(before + 1);
    expect(await page.getByText('Trying again automatically').count()).toBe(0);
  });

  it('dark mode, a visible focus ring, an install button, persisted storage, the stored model size and "(champion)" offline', async () => {
    const { ctx, page } = await newPage('/', { colorScheme: 'dark' });
    await page.addInitScript(() => {
      const w = globalThis as unknown as { persistCalls: number };
      w.persistCalls = 0;
      const real = navigator.storage.persist.bind(navigator.storage);
      navigator.storage.persist = () => (w.persistCalls++, real());
    });
    await page.reload();
    await waitForEngine(page, 'ready');
    // Dark mode follows the system.
    const colours = await page.evaluate(() => ({ bg: getComputedStyle(document.documentElement).backgroundColor, text: getComputedStyle(document.documentElement).color }));
    expect(luminance(colours.bg)).toBeLessThan(0.05);
    expect(contrast(colours.text, colours.bg)).toBeGreaterThanOrEqual(7);
    // The focus ring contrasts ≥ 3:1 with the page around it, in both schemes.
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.getByRole('button', { name: 'Classify and save' }).focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      const ring = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const s = getComputedStyle(el);
        return { outline: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle, bg: getComputedStyle(document.documentElement).backgroundColor };
      });
      expect(ring.style).toBe('solid');
      expect(ring.width).toBeGreaterThanOrEqual(2);
      expect(contrast(ring.outline, ring.bg)).toBeGreaterThanOrEqual(3);
    }
    // Storage persistence is asked for once, after the first saved prediction.
    expect(await page.evaluate(() => (globalThis as unknown as { persistCalls: number }).persistCalls)).toBe(0);
    await predictText(page, 'keep this one', true);
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { persistCalls: number }).persistCalls)).toBe(1);
    await predictText(page, 'and this one', true);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (globalThis as unknown as { persistCalls: number }).persistCalls)).toBe(1);
    // Install button: shown when the browser offers installation, and it opens the browser's dialog.
    expect(await page.locator('[data-testid="install"]').count()).toBe(0);
    await page.evaluate(() => {
      const e = new Event('beforeinstallprompt', { cancelable: true }) as Event & { prompt(): Promise<void>; userChoice: Promise<{ outcome: string }> };
      (globalThis as unknown as { prompted: number }).prompted = 0;
      e.prompt = async () => void (globalThis as unknown as { prompted: number }).prompted++;
      e.userChoice = Promise.resolve({ outcome: 'accepted' });
      dispatchEvent(e);
    });
    await page.getByRole('button', { name: 'Install app' }).click();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { prompted: number }).prompted)).toBe(1);
    await expect.poll(() => page.locator('[data-testid="install"]').count()).toBe(0);
    // The size shown is what this device stores for the WASM engine (the int8 graph), not the fp32 one.
    const m = await client.resolve(`${MODEL}@champion`);
    const stored = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx', 'README.md'].reduce((n, p) => n + (m.files.find((f) => f.path === p)?.bytes ?? 0), 0);
    expect(stored).toBeLessThan(m.bytes);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(b < 1024 * 1024 ? 2 : 1)} MB`;
    await expect.poll(() => page.locator('[data-testid="model-size"]').textContent()).toBe(`${mb(stored)} · stored on this device`);
    // Offline, the version picker still says which version is the champion.
    await waitForServiceWorker(page);
    await ctx.setOffline(true);
    await page.reload();
    await waitForEngine(page, 'ready');
    expect(await page.locator('#version option').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^v1 \(champion\)/)]));
    await ctx.setOffline(false);
  });

});


/** Relative luminance of a CSS rgb()/rgba() colour (WCAG 2). */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG contrast ratio of two CSS colours. */
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}
