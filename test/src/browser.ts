/**
 * Real-browser helpers for the PWA tests and benchmark: headless Chromium (system /usr/bin/chromium via
 * playwright-core), a tiny model published into a local Worker, and page helpers for the app's test ids.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RegistryClient, type Manifest } from '@sentiment-edge/registry';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** `webgpu: true` adds --enable-unsafe-webgpu, which gives headless Chromium a software (SwiftShader) adapter. */
export function launchBrowser(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = [...BASE_ARGS, '--disable-gpu'];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

export interface TinyModel {
  files: Map<string, Uint8Array>;
  draft: Parameters<RegistryClient['publish']>[0];
}

/**
 * A small model in Hugging Face layout: trained by the training package's quick builder (a few
 * seconds), or, when that cannot run, the Worker's hand-built ONNX fixture (same graph interface).
 */
export async function tinyModel(name: string, seed = 7): Promise<TinyModel & { source: 'trained' | 'fixture' }> {
  try {
    const training = await import('../../training/src/index.ts');
    const { readFileSync, mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, relative } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'pwa-model-'));
    try {
      training.buildTinyModel(dir, { seed });
      const files = new Map<string, Uint8Array>();
      for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (!e.isFile()) continue;
        const path = relative(dir, join(e.parentPath, e.name));
        if (['metrics.json', 'training-meta.json', 'manifest.json'].includes(path)) continue;
        files.set(path, new Uint8Array(readFileSync(join(dir, path))));
      }
      const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { validation: Record<string, unknown> & { rows: number; labels: string[] } };
      const meta = JSON.parse(readFileSync(join(dir, 'training-meta.json'), 'utf8')) as { datasetSha256: string; dataset: string; params: Record<string, unknown>; seed: number; durationMs: number };
      const v = metrics.validation;
      const draft = {
        name,
        labels: v.labels,
        evaluation: {
          dataset: { name: `${meta.dataset} (validation)`, sha256: meta.datasetSha256, rows: v.rows },
          accuracy: v.accuracy,
          macroF1: v.macroF1,
          macroRecall: v.macroRecall,
          perClass: v.perClass,
          confusion: v.confusion,
          ...(typeof v.ece === 'number' ? { ece: v.ece } : {}),
        },
        training: { datasetSha256: meta.datasetSha256, params: meta.params, seed: meta.seed, durationMs: meta.durationMs, parent: null },
      } as unknown as TinyModel['draft'];
      return { files, draft, source: 'trained' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } catch (e) {
    if (process.env.PWA_REQUIRE_TRAINED) throw e;
    const fx = await import('../../worker/src/inference/tiny-onnx.fixture.ts');
    const files = fx.buildTinyModelFiles(seed);
    files.set('README.md', new TextEncoder().encode(`# ${name} (test model, seed ${seed})\n\nA tiny embedding-bag classifier used by the PWA tests.\n`));
    return { files, draft: fx.tinyDraft(name) as TinyModel['draft'], source: 'fixture' };
  }
}

/** Publishes a tiny model version and points `champion` at it. */
export async function publishTiny(url: string, token: string, name: string, seed = 7, alias = 'champion'): Promise<Manifest> {
  const client = new RegistryClient({ baseUrl: url, token });
  const { files, draft, source } = await tinyModel(name, seed);
  const m = await client.publish(draft, files);
  console.log(`[pwa] published ${name} v${m.version} (${source} model, ${(m.bytes / 1024).toFixed(0)} kB) as ${alias}`);
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
  await page.locator('[data-testid="label"]').waitFor();
  return readPrediction(page);
}

export async function readPrediction(page: Page): Promise<ShownPrediction> {
  // Wait for the debounced prediction to settle on the current text.
  await page.waitForTimeout(400);
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
