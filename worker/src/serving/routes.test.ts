// The serving routes through the real Worker entry point, on local D1/R2 with the real tiny model the
// training package exports (two of them: seeds 7 and 99), checked against onnxruntime-node's answers.
import { sha256Hex } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, publish, sampleValue, scrapeMetrics, tinyModel, waitForMetrics, type Scrape } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { modelCache } from '../inference/model-cache.ts';
import { HISTORY_FLUSH_MS } from './history.ts';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_SECONDS } from '../db/rollups.ts';

const NAME = env.DEFAULT_MODEL; // 'sentiment'
const [champion, challenger] = [tinyModel(7), tinyModel(99)];
// sha256("good")
const GOOD_SHA = '770e607624d689265ca6c44884d0807d9b054d23c473c106c72be9de08b7376c';

/** A valid browser-made history row for `version` of the default model (text "good"). */
const browserRow = (version: number) => ({
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
const byLabel = (labels: string[], p: number[]) => Object.fromEntries(labels.map((l, i) => [l, p[i]!]));

async function setAlias(name: string, alias: string, version: number) {
  const r = await callJson('PUT', `/api/v1/models/${name}/aliases/${alias}`, { body: { version } });
  expect(r.status).toBe(200);
}

async function waitForHistory(min: number, query = ''): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const r = await callJson('GET', `/api/v1/history?n=500${query}`);
    if (r.body.items.length >= min) return r.body;
    await new Promise((s) => setTimeout(s, 20));
  }
  throw new Error('history rows did not arrive');
}

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
    v1 = await publish(NAME, { files: champion.files });
    v2 = await publish(NAME, { files: challenger.files });
    await setAlias(NAME, 'champion', v1);
    await setAlias(NAME, 'challenger', v2);
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

  it('anonymous requests cannot evict sessions: they get only the champion and canary, at int8 (issue 21)', async () => {
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

  it('refuses a version whose config.json labels are not its manifest\'s: 503 model_unavailable, remembered, counted as its error (issue 21)', async () => {
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

  it('records each prediction in the history, without the text (STORE_TEXT defaults to "false")', async () => {
    expect(env.STORE_TEXT).toBe('false');
    await env.DB.prepare('DELETE FROM predictions').run();
    await callJson('POST', '/api/v1/predict', { body: { texts: ['fun film', 'bad bad bad'] } });
    const badSha = await sha256Hex('bad bad bad');
    let row: any;
    for (let i = 0; i < 50 && !row; i++) {
      row = (await waitForHistory(1, '&source=edge')).items.find((r: any) => r.textSha256 === badSha);
      if (!row) await new Promise((s) => setTimeout(s, 20));
    }
    expect(row).toMatchObject({ model: { name: NAME, version: v1 }, source: 'edge', textLength: 11, text: null });
    expect(row.probabilities[row.label]).toBe(row.score);
  });

  it('reading history needs REGISTRY_TOKEN or READ_TOKEN: 401 without, 403 with a wrong one', async () => {
    const anonymous = await callJson('GET', '/api/v1/history', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    expect(anonymous.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await callJson('GET', '/api/v1/history', { token: 'not-the-token' })).status).toBe(403);
    expect((await callJson('GET', '/api/v1/history')).status).toBe(200);
  });

  it('syncs browser history idempotently (public, validated)', async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({ ...browserRow(v1), createdAt: new Date(Date.now() - i * 1000).toISOString() }));
    const first = await callJson('POST', '/api/v1/history', { body: { items }, token: null });
    expect(first).toMatchObject({ status: 200, body: { inserted: 3, duplicates: 0 } });
    const retry = await callJson('POST', '/api/v1/history', { body: { items }, token: null });
    expect(retry.body).toEqual({ inserted: 0, duplicates: 3 });
    const page = await waitForHistory(3, '&source=browser');
    expect(page.items.map((r: any) => r.id).sort()).toEqual(items.map((i) => i.id).sort());
    const bad = await callJson('POST', '/api/v1/history', { body: { items: [{ ...items[0], score: 5 }] } });
    expect(bad.status).toBe(400);
    const tooMany = await callJson('POST', '/api/v1/history', { body: { items: Array.from({ length: 501 }, () => items[0]) } });
    expect(tooMany.status).toBe(413);
  });

  it('refuses forged history rows with 400 and stores none of them', async () => {
    const ok = browserRow(v1);
    const forgeries: Record<string, object> = {
      edge: { source: 'edge' },
      unknownModel: { model: { name: 'no-such-model', version: 1 } },
      unknownVersion: { model: { name: NAME, version: 999 } },
      inheritedLabel: { label: 'toString' },
      wrongLabels: { label: 'happy', probabilities: { sad: 0.3, happy: 0.7 } },
      notSummingToOne: { probabilities: { negative: 0.9, positive: 0.7 } },
      wrongScore: { score: 0.99 },
      wrongHash: { textSha256: 'c'.repeat(64) },
      wrongLength: { textLength: 40 },
      year9999: { createdAt: '9999-01-01T00:00:00Z' },
      year0: { createdAt: '0000-01-01T00:00:00Z' },
      tomorrow: { createdAt: new Date(Date.now() + 86_400_000).toISOString() },
    };
    const ids: string[] = [];
    for (const [what, forged] of Object.entries(forgeries)) {
      const id = crypto.randomUUID();
      ids.push(id);
      const r = await callJson('POST', '/api/v1/history', { body: { items: [{ ...ok, ...forged, id }] }, token: null });
      expect({ what, status: r.status, code: r.body.error?.code }).toEqual({ what, status: 400, code: 'validation_failed' });
    }
    const repeated = await callJson('POST', '/api/v1/history', { body: { items: [ok, ok] }, token: null });
    expect(repeated.status).toBe(400);
    expect(repeated.body.error.message).toMatch(/repeats/);
    const stored = await env.DB.prepare(`SELECT COUNT(*) AS n FROM predictions WHERE id IN (SELECT value FROM json_each(?1))`).bind(JSON.stringify([...ids, ok.id])).first<{ n: number }>();
    expect(stored!.n).toBe(0);
  });

  it('rejects a bad history query with 400', async () => {
    expect((await callJson('GET', '/api/v1/history?n=0')).status).toBe(400);
    expect((await callJson('GET', '/api/v1/history?cursor=garbage')).status).toBe(400);
    // Decimal only: Number() would read these as 16, 1 and 10.
    for (const q of ['n=0x10', 'n=1e1', 'n=010', 'n=%2010', `model=${NAME}@0x1`, `model=${NAME}@01`, `model=${NAME}@1e0`]) {
      expect({ q, status: (await callJson('GET', `/api/v1/history?${q}`)).status }).toEqual({ q, status: 400 });
    }
  });

  it('reports champion and challenger in model-info', async () => {
    await callJson('POST', '/api/v1/predict', { body: { text: 'good' } });
    const r = await callJson('GET', '/api/v1/model-info');
    expect(r.status).toBe(200);
    expect(r.body.defaultModel).toBe(NAME);
    const m = r.body.models.find((x: any) => x.name === NAME);
    expect(m.champion).toMatchObject({ version: v1, labels: ['negative', 'positive'], loaded: true });
    expect(m.champion.metrics).toEqual({ accuracy: 0.8, macroF1: expect.any(Number), macroRecall: expect.any(Number), dataset: expect.any(String) });
    expect(m.champion.bytes).toBeGreaterThan(0);
    expect(m.challenger.version).toBe(v2);
  });

  it('follows a champion move at once after reload (token needed), dropping the old session', async () => {
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' } })).body.model.version).toBe(v1);
    await setAlias(NAME, 'champion', v2);
    // Within the 60 s alias cache the old champion still answers…
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' } })).body.model.version).toBe(v1);
    expect((await callJson('POST', '/api/v1/admin/reload', { token: null })).status).toBe(401);
    expect((await callJson('POST', '/api/v1/admin/reload', { token: 'wrong' })).status).toBe(403);
    const reload = await callJson('POST', '/api/v1/admin/reload');
    expect(reload.status).toBe(200);
    expect(reload.body.aliases[`${NAME}@champion`]).toBe(v2);
    expect(reload.body.evicted).toContain(`${NAME}@${v1}:int8`);
    expect(reload.body.loaded).toContain(`${NAME}@${v2}:int8`);
    // …and the new one right after the reload.
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' } })).body.model.version).toBe(v2);
    expect(modelCache.has(NAME, v1)).toBe(false);
    await setAlias(NAME, 'champion', v1);
    await callJson('POST', '/api/v1/admin/reload');
  });

  it('exposes fleet-wide counters from the D1 rollups that match the stored rows', async () => {
    // An earlier test deletes history rows: start both the rows and their rollups afresh, once the
    // earlier tests' coalesced writes (HISTORY_FLUSH_MS after each answer) have landed.
    await new Promise((r) => setTimeout(r, 8 * HISTORY_FLUSH_MS));
    await env.DB.batch(['predictions', 'metric_predictions', 'metric_histograms'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
    const before = await scrapeMetrics();
    const edge = { model: NAME, version: String(v1), source: 'edge' };
    const browser = { model: NAME, version: String(v1), source: 'browser' };
    const badRequest = { route: '/api/v1/predict', status: '400' };
    const total = (m: Scrape, labels: Record<string, string>) => sampleValue(m, 'sentiment_predictions_total', labels);

    expect((await callJson('POST', '/api/v1/predict', { body: { texts: ['good movie', 'awful film'] } })).status).toBe(200);
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'great' } })).status).toBe(200);
    expect((await callJson('POST', '/api/v1/predict', { body: { text: '' } })).status).toBe(400);
    const items = [browserRow(v1), browserRow(v1)];
    expect((await callJson('POST', '/api/v1/history', { body: { items }, token: null })).body).toEqual({ inserted: 2, duplicates: 0 });
    // A retried sync stores nothing and counts nothing.
    expect((await callJson('POST', '/api/v1/history', { body: { items }, token: null })).body).toEqual({ inserted: 0, duplicates: 2 });

    const after = await waitForMetrics((m) => total(m, edge) === total(before, edge) + 3 && sampleValue(m, 'sentiment_errors_total', badRequest) === sampleValue(before, 'sentiment_errors_total', badRequest) + 1);
    expect(total(after, browser)).toBe(total(before, browser) + 2);
    expect(sampleValue(after, 'sentiment_predictions_total', { ...browser, label: 'positive' })).toBe(sampleValue(before, 'sentiment_predictions_total', { ...browser, label: 'positive' }) + 2);

    // Every series equals what D1 holds: each history row was counted once, when it was inserted.
    const { results: byLabel } = await env.DB.prepare(`SELECT model_name, model_version, label, source, COUNT(*) AS n FROM predictions GROUP BY 1, 2, 3, 4`).all<{ model_name: string; model_version: number; label: string; source: string; n: number }>();
    expect(after.families.get('sentiment_predictions_total')!.type).toBe('COUNTER');
    expect(after.samples.filter((x) => x.name === 'sentiment_predictions_total')).toHaveLength(byLabel.length);
    for (const r of byLabel) expect(sampleValue(after, 'sentiment_predictions_total', { model: r.model_name, version: String(r.model_version), label: r.label, source: r.source })).toBe(r.n);

    const { results: rows } = await env.DB.prepare(`SELECT model_name, model_version, source, latency_ms, score FROM predictions`).all<{ model_name: string; model_version: number; source: string; latency_ms: number; score: number }>();
    const histograms = [
      ['sentiment_prediction_latency_seconds', LATENCY_BUCKETS_SECONDS, (r: (typeof rows)[number]) => r.latency_ms / 1000],
      ['sentiment_prediction_confidence', CONFIDENCE_BUCKETS, (r: (typeof rows)[number]) => r.score],
    ] as const;
    for (const [name, bounds, value] of histograms) {
      expect(after.families.get(name)!.type).toBe('HISTOGRAM');
      const series = new Set(rows.map((r) => `${r.model_name}|${r.model_version}|${r.source}`));
      expect(after.samples.filter((x) => x.name === `${name}_count`)).toHaveLength(series.size);
      for (const key of series) {
        const [model, version, source] = key.split('|') as [string, string, string];
        const labels = { model, version, source };
        const mine = rows.filter((r) => r.model_name === model && String(r.model_version) === version && r.source === source).map(value);
        expect(sampleValue(after, `${name}_count`, labels)).toBe(mine.length);
        expect(sampleValue(after, `${name}_sum`, labels)).toBeCloseTo(mine.reduce((a, b) => a + b, 0), 6);
        for (const le of bounds) expect(sampleValue(after, `${name}_bucket`, { ...labels, le: String(le) })).toBe(mine.filter((v) => v <= le).length);
        expect(sampleValue(after, `${name}_bucket`, { ...labels, le: '+Inf' })).toBe(mine.length);
      }
    }

    // Per-isolate gauges: an uptime (seconds since this isolate's first request), not a Unix time.
    const uptime = sampleValue(after, 'sentiment_isolate_uptime_seconds');
    expect(after.families.get('sentiment_isolate_uptime_seconds')!.type).toBe('GAUGE');
    expect(uptime).toBeGreaterThan(0);
    expect(uptime).toBeLessThan(24 * 3600);
    expect(sampleValue(after, 'sentiment_isolate_loaded_sessions')).toBeGreaterThanOrEqual(1);
    expect(after.families.get('sentiment_isolate_predict_request_seconds')!.type).toBe('HISTOGRAM');
    expect(sampleValue(after, 'sentiment_rollups_up')).toBe(1);
  }, 30_000);

  it('serves /metrics as Prometheus text, public while METRICS_TOKEN is unset', async () => {
    const res = await call('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('needs METRICS_TOKEN as a bearer token when it is set', async () => {
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const scrape = (authorization?: string) =>
      Promise.resolve(buildApp().fetch(new Request('http://registry.test/metrics', { headers: authorization ? { authorization } : {} }), { ...env, METRICS_TOKEN: 'metrics-token-0123456789' }, ctx));
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.code).toBe('unauthorized');
    expect((await scrape(`Bearer ${env.REGISTRY_TOKEN}`)).status).toBe(403);
    const ok = await scrape('Bearer metrics-token-0123456789');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP /);
  });

  it('documents the serving routes in /openapi.json', async () => {
    const doc: any = await (await call('GET', '/openapi.json')).json();
    for (const p of ['/api/v1/predict', '/predict', '/api/v1/history', '/api/v1/model-info', '/api/v1/admin/reload', '/metrics']) expect(doc.paths[p]).toBeDefined();
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
