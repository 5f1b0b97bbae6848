/**
 * The cnn encoder (issue 27: a Conv over the words in order, identity terms tied in tokenizer.json) in the PWA in a
 * real browser: the app's onnxruntime-web (WASM) answers as Node's onnxruntime does for the same published version,
 * names of different groups get the same answer, and the page raises no error although the graph has no
 * token_scores output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { DATA_DIR, loadPredictor } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { versionDraft } from '@sentiment-edge/training/publish';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { exactPrediction, launchBrowser, waitForEngine } from './src/browser.ts';

const NAME = 'sentiment';
const TEXTS = ['the movie was great fun !', 'not a good film , awful', 'My Roman Catholic neighbour was kind.', 'My Sikh neighbour was kind.'];

describe('cnn encoder in Chromium', () => {
  let worker: LocalWorker;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    worker = await startLocalWorker();
    dir = mkdtempSync(join(tmpdir(), 'cnn-browser-'));
    buildTinyModel(dir, { seed: 7, attention: true, encoder: 'cnn', convFilters: 8, convDim: 8, tieIdentities: true });
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const { draft, files } = await versionDraft(dir, NAME, { data: join(DATA_DIR, 'sst2/validation.csv') });
    const m = await client.publish(draft, files);
    await client.setAlias(NAME, 'champion', { version: m.version });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers like onnxruntime-node within 1e-4 and alike for two religions', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(worker.url + '/');
    expect(await waitForEngine(page, 'ready')).toBe('wasm');
    const node = await loadPredictor(dir, { dtype: 'q8' });
    const expected = await node.probabilities(TEXTS);
    const labels = node.labels;
    await node.close();
    const shown = [];
    for (const t of TEXTS) shown.push(await exactPrediction(page, t));
    let worst = 0;
    shown.forEach((s, i) => {
      expect(s.via).toBe('wasm');
      labels.forEach((l, j) => (worst = Math.max(worst, Math.abs(s.probabilities[l]! - expected[i]![j]!))));
    });
    console.log(`cnn in Chromium (WASM, int8) vs onnxruntime-node: worst |Δp| over ${TEXTS.length} texts = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    // The first two texts differ: the model really answers.
    expect(Math.abs(shown[0]!.probabilities.positive! - shown[1]!.probabilities.positive!)).toBeGreaterThan(0.05);
    expect(shown[2]!.probabilities).toEqual(shown[3]!.probabilities);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
