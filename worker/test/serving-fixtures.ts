/** Fixtures the serving route tests share (src/routes/predict.test.ts, src/routes/serving.test.ts): the default model, two real tiny models, a valid browser history row, alias and history helpers. */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { callJson, tinyModel } from './helpers.ts';

export const NAME = env.DEFAULT_MODEL; // 'sentiment'
export const [champion, challenger] = [tinyModel(7), tinyModel(99)];
// sha256("good")
export const GOOD_SHA = '770e607624d689265ca6c44884d0807d9b054d23c473c106c72be9de08b7376c';

/** A valid browser-made history row for `version` of the default model (text "good"). */
export const browserRow = (version: number) => ({
  id: crypto.randomUUID(),
  createdAt: new Date().toISOString(),
  model: { name: NAME, version },
  label: 'positive',
  score: 0.7,
  probabilities: { negative: 0.3, positive: 0.7 },
  textLength: 4,
  textSha256: GOOD_SHA,
  text: 'good',
  source: 'browser',
  latencyMs: 0.4,
});
export const byLabel = (labels: string[], p: number[]) => Object.fromEntries(labels.map((l, i) => [l, p[i]!]));

export async function setAlias(name: string, alias: string, version: number) {
  const r = await callJson('PUT', `/api/v1/models/${name}/aliases/${alias}`, { body: { version } });
  expect(r.status).toBe(200);
}

export async function waitForHistory(min: number, query = ''): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const r = await callJson('GET', `/api/v1/history?n=500${query}`);
    if (r.body.items.length >= min) return r.body;
    await new Promise((s) => setTimeout(s, 20));
  }
  throw new Error('history rows did not arrive');
}
