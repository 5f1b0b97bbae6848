/**
 * Parity: for the same published version, the Worker's /predict (onnxruntime-web WASM inside
 * workerd) returns the probabilities Node computes with the training package's predictor
 * (onnxruntime-node) within 1e-4, for 50 texts, fp32 and int8.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RegistryClient, type ManifestDraft, type PredictManyResponse, type PredictOneResponse } from '@sentiment-edge/registry';
import { exportModel, loadPredictor, trainModel, type Dataset } from '@sentiment-edge/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalWorker, type LocalWorker } from './src/local-worker.ts';

const POS = ['good', 'great', 'wonderful', 'fun', 'moving', 'brilliant', 'charming', 'delightful'];
const NEG = ['bad', 'awful', 'boring', 'dull', 'terrible', 'clumsy', 'tedious', 'lifeless'];
const FILL = ['the', 'movie', 'film', 'was', 'plot', 'acting', 'story', 'really', 'and', 'a', 'very'];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function dataset(n: number): Dataset {
  const r = rng(11);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const texts: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const pos = i % 2 === 0;
    const words = Array.from({ length: 3 + Math.floor(r() * 8) }, () => (r() < 0.35 ? pick(pos ? POS : NEG) : pick(FILL)));
    texts.push(words.join(' ') + (r() < 0.3 ? '!' : '.'));
    labels.push(pos ? 'positive' : 'negative');
  }
  const labelSet = ['negative', 'positive'];
  return { name: 'parity-synthetic', path: '(memory)', sha256: 'd'.repeat(64), texts, labels, labelSet, labelIds: Int32Array.from(labels, (l) => labelSet.indexOf(l)) };
}

/** The exported directory's files, path → bytes. */
function modelFiles(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files.set(relative(dir, join(e.parentPath, e.name)).split('\\').join('/'), new Uint8Array(readFileSync(join(e.parentPath, e.name))));
  }
  return files;
}

/** 50 texts: short, long, punctuation, unknown words, casing, unicode, repeated words. */
function parityTexts(): string[] {
  const r = rng(5);
  const all = [...POS, ...NEG, ...FILL, 'unseen', 'zyzzyva', "didn't", 'café', '😀', 'NOT', '!!!'];
  const out = ['good', 'BAD.', 'the film was not good', "It's a wonderful, charming film!", 'awful awful awful awful', 'Café crème 😀 great', 'zyzzyva qwerty', 'x'];
  while (out.length < 50) out.push(Array.from({ length: 1 + Math.floor(r() * 60) }, () => all[Math.floor(r() * all.length)]!).join(r() < 0.5 ? ' ' : ', '));
  return out;
}

describe('edge /predict vs Node onnxruntime-node', () => {
  let worker: LocalWorker;
  let dir: string;
  let version: number;
  const name = 'parity';
  const texts = parityTexts();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parity-model-'));
    const model = trainModel({ train: dataset(400), epochs: 3, dim: 16, buckets: 4096, seed: 3, patience: 10 });
    exportModel(model, dir, { modelName: name });
    worker = await startLocalWorker();
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const sha = 'e'.repeat(64);
    const draft: Omit<ManifestDraft, 'files'> = {
      name,
      labels: model.labels,
      evaluation: {
        dataset: { name: 'parity-synthetic', sha256: sha, rows: 400 },
        accuracy: 0.9,
        macroF1: 0.9,
        macroRecall: 0.9,
        perClass: {},
        confusion: [
          [1, 0],
          [0, 1],
        ],
      },
      training: { datasetSha256: sha, params: {}, seed: 3, durationMs: 1, parent: null },
    };
    version = (await client.publish(draft, modelFiles(dir))).version;
  });

  afterAll(async () => {
    await worker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [precision, dtype] of [
    ['fp32', 'fp32'],
    ['int8', 'q8'],
  ] as const) {
    it(`matches within 1e-4 on 50 texts (${precision})`, async () => {
      const node = await loadPredictor(dir, { dtype });
      const expected = await node.probabilities(texts);
      await node.close();
      // The model really discriminates, so agreement is not trivial.
      expect(new Set(expected.map((p) => p[0]!.toPrecision(6))).size).toBeGreaterThan(20);

      const res = await fetch(`${worker.url}/api/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts, model: `${name}@${version}`, precision }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as PredictManyResponse;
      expect(body.model).toEqual({ name, version });
      let worst = 0;
      body.predictions.forEach((p, i) => {
        node.labels.forEach((label, j) => (worst = Math.max(worst, Math.abs(p.probabilities[label]! - expected[i]![j]!))));
      });
      console.log(`parity ${precision}: worst |Δp| over ${texts.length} texts = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);

      // One text at a time (no padding) answers the same.
      for (const i of [0, 3, 5, 49]) {
        const one = (await (
          await fetch(`${worker.url}/predict?dtype=${precision}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: texts[i], model: `${name}@${version}` }),
          })
        ).json()) as PredictOneResponse;
        node.labels.forEach((label, j) => expect(Math.abs(one.probabilities[label]! - expected[i]![j]!)).toBeLessThan(1e-4));
      }
    });
  }
});
