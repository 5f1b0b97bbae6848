// The predict routes through the real Worker entry point, on local D1/R2 with the real tiny model the
// training package exports (two of them: seeds 7 and 99), checked against onnxruntime-node's answers.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, publish } from '../../test/helpers.ts';
import { byLabel, champion, challenger, NAME, publishChampionAndChallenger, setAlias } from '../../test/serving-fixtures.ts';
import { modelCache } from '../inference/model-cache.ts';

describe('before any champion', () => {
  it('answers 503 with Retry-After', async () => {
    const r = await callJson('POST', '/api/v1/predict', { body: { text: 'good movie' } });
    expect(r.status).toBe(503);
    expect(r.res.headers.get('retry-after')).toBe('30');
    expect(r.body.error.code).toBe('not_ready');
  });
});

describe('with a champion', () => {
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    ({ v1, v2 } = await publishChampionAndChallenger());
  });

  it('predicts one text with the champion (both paths)', async () => {
    for (const path of ['/api/v1/predict', '/predict']) {
      const r = await callJson('POST', path, { body: { text: '  good movie  ' }, token: null });
      expect(r.status).toBe(200);
      expect(r.body.model).toEqual({ name: NAME, version: v1 });
      expect(Object.keys(r.body.probabilities).sort()).toEqual(['negative', 'positive']);
      expect(r.body.score).toBe(Math.max(...(Object.values(r.body.probabilities) as number[])));
      expect(r.body.probabilities[r.body.label]).toBe(r.body.score);
      expect(r.body.latencyMs).toBeGreaterThanOrEqual(0);
      // The same answer onnxruntime-node gives on the champion's int8 graph (the text is trimmed first).
      const expected = byLabel(champion.labels, champion.expected('good movie'));
      for (const l of champion.labels) expect(r.body.probabilities[l]).toBeCloseTo(expected[l]!, 5);
    }
  });

  it('predicts a batch in input order, equal to one-by-one answers', async () => {
    const texts = ['good movie', 'awful boring film', 'the film was not fun', 'great'] as const;
    const many = await callJson('POST', '/api/v1/predict', { body: { texts } });
    expect(many.status).toBe(200);
    expect(many.body.predictions).toHaveLength(4);
    for (const [i, t] of texts.entries()) {
      const one = await callJson('POST', '/api/v1/predict', { body: { text: t } });
      expect(one.body.probabilities.positive).toBeCloseTo(many.body.predictions[i].probabilities.positive, 6);
      expect(many.body.predictions[i].probabilities.positive).toBeCloseTo(byLabel(champion.labels, champion.expected(t)).positive!, 5);
    }
  });

  it('takes NAME@VERSION, NAME@ALIAS and precision (body or ?dtype)', async () => {
    const byVersion = await callJson('POST', '/api/v1/predict', { body: { text: 'good', model: `${NAME}@${v2}` } });
    expect(byVersion.body.model.version).toBe(v2);
    expect(byVersion.body.probabilities.positive).toBeCloseTo(byLabel(challenger.labels, challenger.expected('good')).positive!, 5);
    const byAlias = await callJson('POST', '/api/v1/predict', { body: { text: 'good', model: `${NAME}@challenger` } });
    expect(byAlias.body.probabilities).toEqual(byVersion.body.probabilities);
    const fp32 = await callJson('POST', '/api/v1/predict?dtype=fp32', { body: { text: 'good' } });
    const fp32b = await callJson('POST', '/api/v1/predict', { body: { text: 'good', precision: 'fp32' } });
    const int8 = await callJson('POST', '/api/v1/predict', { body: { text: 'good' } });
    expect(fp32.body.probabilities).toEqual(fp32b.body.probabilities);
    expect(fp32.body.probabilities.positive).toBeCloseTo(byLabel(champion.labels, champion.expected('good', 'fp32')).positive!, 5);
    expect(int8.body.probabilities.positive).toBeCloseTo(byLabel(champion.labels, champion.expected('good', 'int8')).positive!, 3);
    expect(fp32.body.probabilities.positive).toBeCloseTo(int8.body.probabilities.positive, 1);
  });

  it.each([
    ['empty text', { text: '' }, 400, 'validation_failed'],
    ['whitespace text', { text: ' \n\t ' }, 400, 'validation_failed'],
    ['an empty text in a batch', { texts: ['ok', ' '] }, 400, 'validation_failed'],
    ['text and texts', { text: 'a', texts: ['b'] }, 400, 'validation_failed'],
    ['neither', { model: NAME }, 400, 'validation_failed'],
    ['a number', { text: 42 }, 400, 'validation_failed'],
    ['empty batch', { texts: [] }, 400, 'validation_failed'],
    ['5001 characters', { text: 'a'.repeat(5001) }, 413, 'payload_too_large'],
    ['257 texts', { texts: Array.from({ length: 257 }, () => 'good') }, 413, 'payload_too_large'],
    ['an unknown model', { text: 'good', model: 'nope' }, 404, 'not_found'],
    ['an unknown version', { text: 'good', model: `${NAME}@999` }, 404, 'not_found'],
    ['an unknown alias', { text: 'good', model: `${NAME}@staging` }, 404, 'not_found'],
    ['a malformed model ref', { text: 'good', model: 'Bad Name!' }, 400, 'bad_request'],
    ['a bad precision', { text: 'good', precision: 'fp16' }, 400, 'validation_failed'],
  ])('rejects %s', async (_, body, status, code) => {
    const r = await callJson('POST', '/api/v1/predict', { body });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
  });

  it('anonymous requests cannot evict sessions: they get only the champion and canary, at int8', async () => {
    const name = `thrash-${Date.now().toString(36)}`;
    const [c1, c2, c3, c4] = [await publish(name, { files: champion.files }), await publish(name, { files: champion.files }), await publish(name, { files: champion.files }), await publish(name, { files: champion.files })];
    await setAlias(name, 'champion', c1);
    await setAlias(name, 'challenger', c2);
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/canary`, { body: { version: c3, share: 0 } })).status).toBe(200);
    await setAlias(name, 'beta', c4);
    const served = [{ model: name }, { model: `${name}@champion` }, { model: `${name}@canary` }, { model: `${name}@${c1}` }, { model: `${name}@${c3}` }];
    const refused = [{ model: `${name}@challenger` }, { model: `${name}@beta` }, { model: `${name}@${c4}` }, { model: name, precision: 'fp32' }, { model: `${name}@canary`, precision: 'fp32' }];
    for (const b of served) expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good', ...b }, token: null })).status).toBe(200);
    const sessions = () => modelCache.loaded().filter((l) => l.model === name);
    expect(sessions()).toEqual([{ model: name, version: c1, precision: 'int8' }, { model: name, version: c3, precision: 'int8' }]);
    const before = [await modelCache.get(env, name, c1, 'int8'), await modelCache.get(env, name, c3, 'int8')];
    // One sequential attacker cycling through aliases, versions and precisions (before: a model load per request).
    for (let i = 0; i < 40; i++) {
      const b = [...served, ...refused][i % 10]!;
      const r = await callJson<any>('POST', '/api/v1/predict', { body: { text: `good ${i}`, ...b }, token: null });
      expect(r.status, JSON.stringify(b)).toBe(served.includes(b) ? 200 : 401);
      if (r.status === 401) expect(r.body.error.message).toMatch(/REGISTRY_TOKEN/);
    }
    expect(sessions()).toHaveLength(2);
    // The very same sessions: neither evicted nor loaded again.
    expect(await modelCache.get(env, name, c1, 'int8')).toBe(before[0]);
    expect(await modelCache.get(env, name, c3, 'int8')).toBe(before[1]);
    expect(before.every((m) => !m.evicted)).toBe(true);
    // The token holder still reaches every alias and precision.
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good', model: `${name}@beta`, precision: 'fp32' } })).status).toBe(200);
  });

  it('refuses a version whose config.json labels are not its manifest\'s: 503 model_unavailable, remembered, counted as its error', async () => {
    const name = `labels-${Date.now().toString(36)}`;
    const config = JSON.parse(new TextDecoder().decode(champion.files['config.json']));
    config.id2label = { 0: '=cmd', 1: '__proto__' };
    config.label2id = { '=cmd': 0, __proto__: 1 };
    const v = await publish(name, { files: { ...champion.files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) } });
    await setAlias(name, 'champion', v);
    const first = await callJson<any>('POST', '/api/v1/predict', { body: { text: 'good', model: name }, token: null });
    // Before: 200 with "label": "=cmd" (and "__proto__" missing from probabilities).
    expect(first.status).toBe(503);
    expect(first.body.error).toMatchObject({ code: 'model_unavailable', message: expect.stringMatching(/config.json's labels \(=cmd, __proto__\) are not the manifest's \(negative, positive\)/) });
    expect(first.res.headers.get('retry-after')).toBe('30');
    // The failure is remembered: the next requests are answered without loading the version again.
    const t = performance.now();
    for (let i = 0; i < 5; i++) expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good', model: name }, token: null })).status).toBe(503);
    console.log(`5 requests for a broken version after the first: ${(performance.now() - t).toFixed(1)} ms`);
    expect(modelCache.loaded().some((l) => l.model === name)).toBe(false);
  });

  it('accepts exactly 5000 characters (after trimming) and 256 texts', async () => {
    const long = await callJson('POST', '/api/v1/predict', { body: { text: `  ${'good '.repeat(1000).trim()}  ` } });
    expect(long.status).toBe(200);
    const many = await callJson('POST', '/api/v1/predict', { body: { texts: Array.from({ length: 256 }, (_, i) => `good ${i}`) } });
    expect(many.status).toBe(200);
    expect(many.body.predictions).toHaveLength(256);
  });

  it('refuses lone surrogates, precision null and lenient version refs; strips a leading BOM', async () => {
    const cases: Record<string, object> = {
      loneHigh: { text: 'bad \ud800 text' },
      loneLowInBatch: { texts: ['fine', '\udc00'] },
      precisionNull: { text: 'good movie', precision: null },
      version01: { text: 'good movie', model: `${NAME}@01` },
      version1e0: { text: 'good movie', model: `${NAME}@1e0` },
      version0x1: { text: 'good movie', model: `${NAME}@0x1` },
    };
    for (const [what, body] of Object.entries(cases)) {
      const r = await callJson('POST', '/api/v1/predict', { body, token: null });
      // (the message may quote a lone surrogate, which the test runner's channel cannot carry: compare codes only)
      expect({ what, status: r.status }).toEqual({ what, status: 400 });
      expect(r.body.error.code).toMatch(/validation_failed|bad_request/);
    }
    const plain = await callJson('POST', '/api/v1/predict', { body: { text: 'good movie' }, token: null });
    const bom = await callJson('POST', '/api/v1/predict', { body: { text: '\ufeffgood movie' }, token: null });
    expect(bom.status).toBe(200);
    expect(bom.body.probabilities).toEqual(plain.body.probabilities);
  });

  it('rejects malformed JSON with 400 in the one error shape', async () => {
    const res = await call('POST', '/api/v1/predict', { body: '{"text": "good', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/malformed JSON/);
  });
});

describe('the language of each text', () => {
  it('says which language a text is in and whether the model knows it (config.json sentiment_edge.languages)', async () => {
    const config = JSON.parse(new TextDecoder().decode(champion.files['config.json']!));
    config.sentiment_edge = { ...config.sentiment_edge, languages: ['en'] };
    const files = { ...champion.files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) };
    const v = await publish('langs', { files });
    await setAlias('langs', 'champion', v);
    const texts = ['This is a great movie, I loved every minute of it', 'Questo film è davvero bello, mi è piaciuto molto', 'bello!'];
    const r = await callJson('POST', '/api/v1/predict', { body: { texts, model: 'langs' }, token: null });
    expect(r.status).toBe(200);
    expect(r.body.predictions.map((p: { language: unknown }) => p.language)).toEqual([
      { detected: 'en', supported: true },
      { detected: 'it', supported: false },
      // under 20 characters: not judged, never flagged
      { detected: null, supported: true },
    ]);
    // A model that records no languages never flags a text.
    const old = await callJson('POST', '/api/v1/predict', { body: { text: texts[1] }, token: null });
    expect(old.body.language).toEqual({ detected: 'it', supported: true });
    const doc: any = await (await call('GET', '/openapi.json')).json();
    expect(JSON.stringify(doc.components.schemas.PredictOneResponse)).toContain('"language"');
  });
});
