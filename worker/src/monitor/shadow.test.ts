// Shadow scoring on the real tiny models (seed 7 = champion, seed 99 = challenger): sampled edge
// /predict answers are also scored by the challenger after the answer; the hourly report summarises
// agreement, label mixes and the challenger's confidence. Also: edge history rows carry token stats.
import { sha256Hex } from '@sentiment-edge/registry';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel, uniqueName } from '../../test/helpers.ts';
import { FIXTURE_TEXTS } from '../../test/tiny-model.ts';
import { buildApp } from '../app.ts';
import worker from '../index.ts';
import { sampleShadow } from './shadow.ts';

const [champion, challenger] = [tinyModel(7), tinyModel(99)];
const NAME = uniqueName('shadow');
const app = buildApp();
let v1: number;
let v2: number;

/** POST /predict through the app with extra vars, waiting for its after-answer work. */
async function predict(vars: Record<string, string>, body: unknown): Promise<{ status: number; body: any }> {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request('http://registry.test/api/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    { ...env, ...vars },
    ctx,
  );
  const json = await res.json();
  await waitOnExecutionContext(ctx);
  // Edge history rows are written by a coalesced flush 25 ms later (history.ts).
  await new Promise((r) => setTimeout(r, 60));
  return { status: res.status, body: json };
}

const argmax = (p: number[], labels: string[]) => labels[p.indexOf(Math.max(...p))]!;

beforeAll(async () => {
  v1 = await publish(NAME, { files: champion.files });
  v2 = await publish(NAME, { files: challenger.files });
  for (const [alias, version] of [['champion', v1], ['challenger', v2]] as const) {
    expect((await callJson('PUT', `/api/v1/models/${NAME}/aliases/${alias}`, { body: { version } })).status).toBe(200);
  }
});

describe('shadow scoring', () => {
  it('samples only answers of the champion alias, at SHADOW_RATE', () => {
    expect(sampleShadow('m@champion', 'm', 1)).toBe(true);
    expect(sampleShadow('m@champion', 'm', 0)).toBe(false);
    expect(sampleShadow('m@challenger', 'm', 1)).toBe(false);
    expect(sampleShadow('m@3', 'm', 1)).toBe(false);
    expect(sampleShadow('m@champion', 'm', 0.1, () => 0.05)).toBe(true);
    expect(sampleShadow('m@champion', 'm', 0.1, () => 0.5)).toBe(false);
  });

  it('records the challenger’s answer for sampled champion requests, and none at SHADOW_RATE 0', async () => {
    const texts = [...FIXTURE_TEXTS];
    const off = await predict({ SHADOW_RATE: '0' }, { texts, model: NAME });
    expect(off.status).toBe(200);
    const count = async () => (await env.DB.prepare(`SELECT COUNT(*) AS n FROM shadow_predictions WHERE model_name = ?1`).bind(NAME).first<{ n: number }>())!.n;
    expect(await count()).toBe(0);

    const on = await predict({ SHADOW_RATE: '1' }, { texts, model: NAME });
    expect(on.status).toBe(200);
    expect(on.body.model).toEqual({ name: NAME, version: v1 });
    const { results } = await env.DB.prepare(
      `SELECT s.*, p.label AS history_label FROM shadow_predictions s JOIN predictions p ON p.id = s.id WHERE s.model_name = ?1 ORDER BY s.id`,
    )
      .bind(NAME)
      .all<{ champion_version: number; challenger_version: number; champion_label: string; challenger_label: string; challenger_score: number; history_label: string }>();
    expect(results.length).toBe(texts.length);
    for (const r of results) {
      expect(r).toMatchObject({ champion_version: v1, challenger_version: v2 });
      expect(r.champion_label).toBe(r.history_label);
    }
    // The challenger's labels and confidences are the challenger's own (onnxruntime-node reference).
    const expectedLabels = texts.map((t) => argmax(challenger.expected(t), challenger.labels)).sort();
    expect(results.map((r) => r.challenger_label).sort()).toEqual(expectedLabels);
    const expectedScores = texts.map((t) => Math.max(...challenger.expected(t))).sort();
    results.map((r) => r.challenger_score).sort().forEach((s, i) => expect(s).toBeCloseTo(expectedScores[i]!, 4));
  });

  it('edge history rows carry the token count and unknown-token share', async () => {
    await predict({ SHADOW_RATE: '0' }, { text: 'zzz unknown words only', model: NAME });
    const stats = async (text: string) =>
      env.DB.prepare(`SELECT token_count, unknown_share FROM predictions WHERE model_name = ?1 AND text_sha256 = ?2 LIMIT 1`).bind(NAME, await sha256Hex(text)).first<{ token_count: number; unknown_share: number }>();
    const row = await stats('zzz unknown words only');
    expect(row!.token_count).toBeGreaterThanOrEqual(4);
    expect(row!.unknown_share).toBeGreaterThan(0);
    const unknownPieces = row!.unknown_share * row!.token_count;
    expect(Math.abs(unknownPieces - Math.round(unknownPieces))).toBeLessThan(1e-6);
    const good = await predict({ SHADOW_RATE: '0' }, { text: 'good movie', model: NAME });
    expect(good.status).toBe(200);
    expect(await stats('good movie')).toEqual({ token_count: 2, unknown_share: 0 });
  });

  it('the champion’s drift report summarises the shadow window', async () => {
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now() + 1000 }), { ...env, DRIFT_MIN_ROWS: '1' }, ctx);
    await waitOnExecutionContext(ctx);
    const { reports } = (await callJson('GET', `/api/v1/drift?model=${NAME}`)).body;
    const champ = reports.find((r: any) => r.model.version === v1);
    const chall = reports.find((r: any) => r.model.version === v2);
    expect(chall.shadow).toBeNull();
    const texts = [...FIXTURE_TEXTS];
    const champLabels = texts.map((t) => argmax(champion.expected(t), champion.labels));
    const challLabels = texts.map((t) => argmax(challenger.expected(t), challenger.labels));
    const agree = champLabels.filter((l, i) => l === challLabels[i]).length / texts.length;
    expect(champ.shadow).toMatchObject({ challenger: { name: NAME, version: v2 }, rows: texts.length, otherRows: 0 });
    expect(champ.shadow.agreement).toBeCloseTo(agree, 9);
    const share = (labels: string[], l: string) => labels.filter((x) => x === l).length / labels.length;
    for (const l of champion.labels) {
      expect(champ.shadow.labelMix.champion[l] ?? 0).toBeCloseTo(share(champLabels, l), 9);
      expect(champ.shadow.labelMix.challenger[l] ?? 0).toBeCloseTo(share(challLabels, l), 9);
    }
    const meanConf = texts.reduce((s, t) => s + Math.max(...challenger.expected(t)), 0) / texts.length;
    expect(champ.shadow.challengerMeanConfidence).toBeCloseTo(meanConf, 4);
  });
});
