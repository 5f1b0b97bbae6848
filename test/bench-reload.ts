/**
 * Reload benchmark (not a test): only issue 12's "reload with a cached model → first prediction" figure,
 * with the inference worker's load phases, so variants can be compared quickly (bench-pwa.ts measures it
 * too, among everything else).
 *   pnpm --filter @sentiment-edge/web build && pnpm --dir test exec tsx bench-reload.ts
 *   RELOADS=7 (default) reloads after one first visit; TRACE=file.json also records a Chrome trace of the
 *   last reload (open it in chrome://tracing or Perfetto).
 * Per reload, measured in the page from navigation start (performance.timeOrigin, trackFirstPrediction): when
 * the engine says ready, and when a prediction asked for at that moment (through the app, as a text typed
 * during the load is) answers. Prints medians and writes bench-results/reload.json. PROFILE=persistent runs
 * Chromium with a profile on disk instead of Playwright's in-memory context.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { BASE_ARGS, CHROMIUM, collectLoadTimings, launchBrowser, median, medianPhases, publishTiny, readFirstPrediction, sinceNavigation, trackFirstPrediction, useForAWhile, waitForEngine } from './src/browser.ts';
import { REPO_ROOT, startLocalWorker } from '@sentiment-edge/worker/local';

const RELOADS = Number(process.env.RELOADS ?? 7);

async function main() {
  const worker = await startLocalWorker();
  // PROFILE=persistent: a browser profile on disk, as a person's browser has (Playwright's default context is
  // in memory, like an incognito window, and Chromium keeps no compiled-code cache there).
  const persistent = process.env.PROFILE === 'persistent';
  const profileDir = persistent ? mkdtempSync(join(tmpdir(), 'reload-profile-')) : '';
  const ctx: BrowserContext = persistent
    ? await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: [...BASE_ARGS, '--disable-gpu'] })
    : await (await launchBrowser()).newContext();
  const browser = ctx.browser(); // null for a persistent context (no tracing there)
  try {
    await publishTiny(worker.url, worker.token, 'sentiment', 7);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const phases = collectLoadTimings(page);
    await trackFirstPrediction(page);
    await page.goto(worker.url + '/?backend=wasm');
    await waitForEngine(page, 'ready');
    // The first visit's service worker install (app shell + ORT's wasm) and model storing settle first.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForTimeout(2000);
    // USE=1: one reload (served by the service worker from then on) used for a few seconds, as a person would:
    // V8 keeps the compiled WebAssembly of a module that ran a while (hot functions optimised, then 2 s) as
    // side data of the Cache Storage entry, and later reloads start from it. USE=0: every measured reload
    // comes straight after the previous one (none lives long enough to leave compiled code behind).
    if (process.env.USE !== '0') {
      await page.reload();
      await waitForEngine(page, 'ready');
      await useForAWhile(page);
    }

    const runs: { readyMs: number; firstPredictionMs: number; phases: Record<string, number> }[] = [];
    for (let i = 0; i < RELOADS; i++) {
      const tracing = browser && process.env.TRACE && i === RELOADS - 1;
      if (tracing) await browser!.startTracing(page, { screenshots: false, categories: ['devtools.timeline', 'v8.wasm', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'loading', 'navigation', 'ServiceWorker'] });
      await page.reload();
      const t = await readFirstPrediction(page);
      if (tracing) writeFileSync(process.env.TRACE!, await browser!.stopTracing());
      const ph = sinceNavigation(phases.at(-1)!, t.navAt);
      runs.push({ readyMs: t.readyMs, firstPredictionMs: t.firstPredictionMs, phases: ph });
      console.log(JSON.stringify(runs.at(-1)));
    }
    const result = {
      when: new Date().toISOString(),
      browser: `Chromium ${ctx.browser()?.version() ?? ''} headless, WASM (1 thread), ${persistent ? 'profile on disk' : 'in-memory context'}`,
      loadAverage: loadavg().map((l) => +l.toFixed(2)),
      reloads: RELOADS,
      readyMsMedian: median(runs.map((r) => r.readyMs)),
      firstPredictionMsMedian: median(runs.map((r) => r.firstPredictionMs)),
      phasesMsMedian: medianPhases(runs.map((r) => r.phases)),
      runs,
    };
    mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'bench-results/reload.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify({ load: result.loadAverage, readyMsMedian: result.readyMsMedian, firstPredictionMsMedian: result.firstPredictionMsMedian, phases: result.phasesMsMedian }));
  } finally {
    await ctx.close();
    await browser?.close();
    await worker.stop();
    if (profileDir && !process.env.KEEP_PROFILE) rmSync(profileDir, { recursive: true, force: true });
    else if (profileDir) console.log('profile kept in', profileDir);
  }
}

await main();
