/**
 * Parity: for the same published version, the Worker's /predict (onnxruntime-web WASM inside
 * workerd) returns the probabilities Node computes with the training package's predictor
 * (onnxruntime-node) within 1e-4, for 50 texts, fp32 and int8; for the pooled model and for the cnn encoder
 * (Conv, ReduceMax, Tanh over per-token vectors; identity terms tied).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, RegistryClient, type PredictManyResponse, type PredictOneResponse } from '@sentiment-edge/registry';
import { DATA_DIR, loadPredictor } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { versionDraft } from '@sentiment-edge/training/publish';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';

const POS = ['good', 'great', 'wonderful', 'fun', 'moving', 'brilliant', 'charming', 'delightful'];
const NEG = ['bad', 'awful', 'boring', 'dull', 'terrible', 'clumsy', 'tedious', 'lifeless'];
const FILL = ['the', 'movie', 'film', 'was', 'plot', 'acting', 'story', 'really', 'and', 'a', 'very'];

/** 50 texts: short, long, punctuation, unknown words, casing, unicode, repeated words. */
function parityTexts(): string[] {
  const r = mulberry32(5);
  const all = [...POS, ...NEG, ...FILL, 'unseen', 'zyzzyva', "didn't", 'café', '😀', 'NOT', '!!!'];
  // …and one text longer than the tokenizer's 256-token limit, so truncation must agree too.
  const out = [Array.from({ length: 300 }, (_, i) => (i % 3 ? 'dull' : 'charming')).join(' '), 'good', 'BAD.', 'the film was not good', "It's a wonderful, charming film!", 'awful awful awful awful', 'Café crème 😀 great', 'zyzzyva qwerty', 'x'];
  while (out.length < 50) out.push(Array.from({ length: 1 + Math.floor(r() * 60) }, () => all[Math.floor(r() * all.length)]!).join(r() < 0.5 ? ' ' : ', '));
  return out;
}

const MODELS = [
  { encoder: 'pooled', name: 'parity', options: { seed: 3 } },
  { encoder: 'cnn', name: 'parity-cnn', options: { seed: 3, attention: true, encoder: 'cnn' as const, convFilters: 8, convDim: 8, tieIdentities: true } },
];

describe('edge /predict vs Node onnxruntime-node', () => {
  let worker: LocalWorker;
  const dirs = new Map<string, string>();
  const versions = new Map<string, number>();
  const texts = parityTexts();

  beforeAll(async () => {
    worker = await startLocalWorker();
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    for (const { name, options } of MODELS) {
      const dir = mkdtempSync(join(tmpdir(), 'parity-model-'));
      dirs.set(name, dir);
      buildTinyModel(dir, options);
      const { draft, files } = await versionDraft(dir, name, { data: join(DATA_DIR, 'sst2/validation.csv') });
      versions.set(name, (await client.publish(draft, files)).version);
    }
  });

  afterAll(async () => {
    await worker?.stop();
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  });

  for (const [{ encoder, name }, [precision, dtype]] of MODELS.flatMap((m) => [
    [m, ['fp32', 'fp32']],
    [m, ['int8', 'q8']],
  ] as const)) {
    it(`matches within 1e-4 on 50 texts (${encoder} encoder, ${precision})`, async () => {
      const dir = dirs.get(name)!;
      const version = versions.get(name)!;
      const node = await loadPredictor(dir, { dtype });
      const expected = await node.probabilities(texts);
      await node.close();
      // The model really discriminates, so agreement is not trivial.
      expect(new Set(expected.map((p) => p[0]!.toPrecision(6))).size).toBeGreaterThan(20);

      const res = await fetch(`${worker.url}/api/v1/predict`, {
        method: 'POST',
        // A version no alias points at: loading it needs the token.
        headers: { 'content-type': 'application/json', authorization: `Bearer ${worker.token}` },
        body: JSON.stringify({ texts, model: `${name}@${version}`, precision }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as PredictManyResponse;
      expect(body.model).toEqual({ name, version });
      let worst = 0;
      body.predictions.forEach((p, i) => {
        node.labels.forEach((label, j) => (worst = Math.max(worst, Math.abs(p.probabilities[label]! - expected[i]![j]!))));
      });
      console.log(`parity ${encoder} ${precision}: worst |Δp| over ${texts.length} texts = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);

      // One text at a time (no padding) answers the same.
      for (const i of [0, 3, 5, 49]) {
        const one = (await (
          await fetch(`${worker.url}/predict?dtype=${precision}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${worker.token}` },
            body: JSON.stringify({ text: texts[i], model: `${name}@${version}` }),
          })
        ).json()) as PredictOneResponse;
        node.labels.forEach((label, j) => expect(Math.abs(one.probabilities[label]! - expected[i]![j]!)).toBeLessThan(1e-4));
      }
    });
  }
});
