/**
 * Real-browser helpers for the PWA tests and benchmark: headless Chromium (system /usr/bin/chromium via
 * playwright-core), a tiny model published into a local Worker, and page helpers for the app's test ids.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RegistryClient, type Manifest } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { versionDraft } from '@sentiment-edge/training/publish';
import { isSharedSeed, sharedTinyModel } from './tiny-models.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** `webgpu: true` adds --enable-unsafe-webgpu, which gives headless Chromium a software (SwiftShader) adapter. */
export function launchBrowser(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const args = [...BASE_ARGS, '--disable-gpu'];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

export interface TinyModel {
  files: Map<string, Uint8Array>;
  draft: Parameters<RegistryClient['publish']>[0];
}

/**
 * A small real model in Hugging Face layout, trained by the training package on an SST-2 slice in seconds
 * (the seeds several files use are trained once per run: src/tiny-models.ts).
 */
export async function tinyModel(name: string, seed = 7): Promise<TinyModel> {
  const data = join(DATA_DIR, 'sst2/validation.csv');
  if (isSharedSeed(seed)) return versionDraft(sharedTinyModel(seed), name, { data });
  const dir = mkdtempSync(join(tmpdir(), 'pwa-model-'));
  try {
    buildTinyModel(dir, { seed });
    return await versionDraft(dir, name, { data });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Publishes a tiny model version and points `champion` at it. */
export async function publishTiny(url: string, token: string, name: string, seed = 7, alias = 'champion'): Promise<Manifest> {
  const client = new RegistryClient({ baseUrl: url, token });
  const { files, draft } = await tinyModel(name, seed);
  const m = await client.publish(draft, files);
  await client.setAlias(name, alias, { version: m.version });
  return m;
}

export async function waitForEngine(page: Page, status: 'ready' | 'server' | 'unavailable', timeout = 60_000): Promise<string> {
  await page.locator(`[data-testid="backend"][data-status="${status}"]`).waitFor({ timeout });
  return (await page.getAttribute('[data-testid="backend"]', 'data-backend')) ?? '';
}

export interface ShownPrediction {
  label: string;
  probabilities: Record<string, number>;
  answeredBy: string;
}

/** Types a text, waits for the live prediction of exactly that text, and reads it from the page. */
export async function predictText(page: Page, text: string, save = false): Promise<ShownPrediction> {
  const box = page.getByLabel('Text to classify');
  await box.fill('');
  await box.fill(text);
  if (save) await page.getByRole('button', { name: 'Classify and save' }).click();
  return readPrediction(page, text);
}

/** Reads the prediction shown for `text`, waiting until the (debounced) result belongs to that text. */
export async function readPrediction(page: Page, text: string): Promise<ShownPrediction> {
  await page.waitForFunction((t) => document.querySelector<HTMLElement>('[data-testid="result"]')?.dataset.text === t, text);
  const label = ((await page.locator('[data-testid="label"]').textContent()) ?? '').replace(/[▲▼●◆]/g, '').trim();
  const probabilities: Record<string, number> = {};
  for (const li of await page.locator('[data-testid^="prob-"]').all()) {
    const id = (await li.getAttribute('data-testid'))!.slice('prob-'.length);
    probabilities[id] = Number(((await li.locator('.pct').textContent()) ?? '').replace('%', '')) / 100;
  }
  const answeredBy = (await page.locator('[data-testid="answered-by"]').textContent()) ?? '';
  return { label, probabilities, answeredBy: answeredBy.replace(/\s+/g, ' ').trim() };
}

/** Exact probabilities from the app model (the page shows rounded ones). */
export function exactPrediction(page: Page, text: string): Promise<{ label: string; probabilities: Record<string, number>; via: string }> {
  return page.evaluate(async (t) => {
    const app = (globalThis as unknown as { sentimentEdge: { predict(t: string): Promise<{ label: string; probabilities: Record<string, number>; via: string }> } }).sentimentEdge;
    const r = await app.predict(t);
    return { label: r.label, probabilities: r.probabilities, via: r.via };
  }, text);
}

/** Waits until the service worker is active, i.e. it has installed and precached the app shell. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
}

/**
 * For benchmarks: from the next navigation on, the page itself notes (performance.now(), ms since navigation
 * start) when the engine turns ready and when a prediction asked for at that moment answers, as a text typed
 * during the load is answered. Read with readFirstPrediction after each navigation.
 */
export async function trackFirstPrediction(page: Page, text = 'the movie was great'): Promise<void> {
  await page.addInitScript((t) => {
    const g = globalThis as unknown as { __readyAt?: number; __firstPredictionAt?: number; sentimentEdge?: { predict(t: string): Promise<unknown> } };
    const obs = new MutationObserver(() => {
      if (g.__readyAt !== undefined || !document.querySelector('[data-testid="backend"][data-status="ready"]')) return;
      g.__readyAt = performance.now();
      obs.disconnect();
      void g.sentimentEdge?.predict(t).then(() => (g.__firstPredictionAt = performance.now()));
    });
    obs.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  }, text);
}

/** Waits for the marks trackFirstPrediction sets; ms since navigation start. */
export async function readFirstPrediction(page: Page, timeout = 60_000): Promise<{ readyMs: number; firstPredictionMs: number; navAt: number }> {
  await page.waitForFunction(() => (globalThis as unknown as { __firstPredictionAt?: number }).__firstPredictionAt !== undefined, undefined, { timeout });
  return page.evaluate(() => {
    const g = globalThis as unknown as { __readyAt: number; __firstPredictionAt: number };
    return { readyMs: Math.round(g.__readyAt), firstPredictionMs: Math.round(g.__firstPredictionAt), navAt: performance.timeOrigin };
  });
}

/** The inference worker's `[load-timing] {...}` logs (its load phases), collected as they arrive. */
export function collectLoadTimings(page: Page): Record<string, number>[] {
  const phases: Record<string, number>[] = [];
  page.on('console', (m) => {
    const t = m.text();
    if (t.startsWith('[load-timing] ')) phases.push(JSON.parse(t.slice('[load-timing] '.length)) as Record<string, number>);
  });
  return phases;
}

/** A load-timing record with its two wall-clock marks (workerStartAt, loadAt) made ms since navigation start. */
export function sinceNavigation(phases: Record<string, number>, navAt: number): Record<string, number> {
  const ph = { ...phases };
  if (ph.loadAt !== undefined && ph.workerStartAt !== undefined) {
    ph.workerStartAt = Math.round(ph.workerStartAt - navAt);
    ph.loadAt = Math.round(ph.loadAt - navAt);
  }
  return ph;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Per-phase medians of load-timing records. */
export function medianPhases(runs: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]).filter((v): v is number => v !== undefined))]));
}

/**
 * Uses the page's model for a few seconds (100 answers, then 4 s), as a person would: V8 then keeps the
 * compiled WebAssembly of ORT beside its Cache Storage entry, and later reloads start from it.
 */
export async function useForAWhile(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const app = (globalThis as unknown as { sentimentEdge: { predict(t: string): Promise<unknown> } }).sentimentEdge;
    for (let i = 0; i < 100; i++) await app.predict(`the movie was great ${i}`);
  });
  await page.waitForTimeout(4000);
}
