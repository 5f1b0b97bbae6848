/** Fixtures the serving route tests share (src/routes/predict.test.ts, src/routes/serving.test.ts): the default model, two real tiny models, a valid browser history row, alias and history helpers. */
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import { callJson, publish, SETTLE_TIMEOUT, tinyModel } from './helpers.ts';

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

/** Publishes the two tiny models as new versions of the default model and makes them champion and challenger. */
export async function publishChampionAndChallenger(): Promise<{ v1: number; v2: number }> {
  const v1 = await publish(NAME, { files: champion.files });
  const v2 = await publish(NAME, { files: challenger.files });
  await setAlias(NAME, 'champion', v1);
  await setAlias(NAME, 'challenger', v2);
  return { v1, v2 };
}

/** Reads the history until it holds `min` rows (coalesced writes land after HISTORY_FLUSH_MS); fails after SETTLE_TIMEOUT. */
export async function waitForHistory(min: number, query = ''): Promise<any> {
  return vi.waitUntil(async () => {
    const r = await callJson('GET', `/api/v1/history?n=500${query}`);
    return r.body.items.length >= min && r.body;
  }, SETTLE_TIMEOUT);
}
