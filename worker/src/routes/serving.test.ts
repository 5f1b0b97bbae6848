// The history, model-info, reload and metrics routes through the real Worker entry point, on local D1/R2 with
// the real tiny models the training package exports (seeds 7 and 99).
import { sha256Hex } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { call, callJson, sampleValue, scrapeMetrics, SETTLE_TIMEOUT, waitForMetrics, type Scrape } from '../../test/helpers.ts';
import { browserRow, NAME, publishChampionAndChallenger, setAlias, waitForHistory } from '../../test/serving-fixtures.ts';
import { buildApp } from '../app.ts';
import { modelCache } from '../inference/model-cache.ts';
import { HISTORY_FLUSH_MS } from '../serving/history.ts';
import { CONFIDENCE_BUCKETS, LATENCY_BUCKETS_SECONDS } from '../db/rollups.ts';

describe('with a champion', () => {
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    ({ v1, v2 } = await publishChampionAndChallenger());
  });

  it('records each prediction in the history, without the text (STORE_TEXT defaults to "false")', async () => {
    expect(env.STORE_TEXT).toBe('false');
    await env.DB.prepare('DELETE FROM predictions').run();
    await callJson('POST', '/api/v1/predict', { body: { texts: ['fun film', 'bad bad bad'] } });
    const badSha = await sha256Hex('bad bad bad');
    const row = await vi.waitUntil(async () => (await waitForHistory(1, '&source=edge')).items.find((r: any) => r.textSha256 === badSha), SETTLE_TIMEOUT);
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
    // The clock stands still (Date only; timers run), so the alias lookup stays fresh however slow the
    // machine: a stale one would refresh in the background and drop the old session before the reload.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' } })).body.model.version).toBe(v1);
    await setAlias(NAME, 'champion', v2);
    // Within ALIAS_FRESH_MS of the last lookup the old champion still answers…
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
