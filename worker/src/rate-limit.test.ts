// Per-client limits through the real Worker entry point, with the [[ratelimits]] bindings of
// wrangler.toml run by the local runtime. Requests name their client with CF-Connecting-IP, as
// Cloudflare's edge does. The limiter counts in fixed windows (10 s or 60 s), and a run may cross a
// window's end: so each test sends until the first 429 and checks that it came neither before the
// limit was spent nor later than two windows' worth.
import { describe, expect, it } from 'vitest';
import { call, callJson, publish, tinyModel, windowsSince, type CallOptions } from '../test/helpers.ts';
import { HEAVY_COST, LIMIT_PERIOD_S, LIMIT_UNITS, predictCost } from './rate-limit.ts';

const NAME = 'sentiment';
const from = (ip: string) => ({ 'cf-connecting-ip': ip });

/**
 * Sends until the first 429 (at most `max` requests); returns how many succeeded before it, the 429, and the
 * fixed windows of `periodS` the run touched (windowsSince).
 */
async function untilLimited(method: string, path: string, opts: () => CallOptions, max: number, periodS: number) {
  const start = Date.now();
  for (let ok = 0; ok < max; ok++) {
    const r = await callJson(method, path, opts());
    if (r.status === 429) return { ok, limited: r, windows: windowsSince(start, periodS) };
    expect(r.status).toBeLessThan(429);
  }
  throw new Error(`no 429 within ${max} requests`);
}

/** At least one window's worth got through before the 429, and at most one per window the run touched. */
function expectLimitedAfter(r: { ok: number; windows: number }, perWindow: number) {
  expect(r.ok).toBeGreaterThanOrEqual(perWindow);
  expect(r.ok, `${r.windows} windows touched`).toBeLessThanOrEqual(perWindow * r.windows);
}

describe('rate limits', () => {
  it('limits one client on /predict (429, Retry-After, the error shape) while others and the token holder go on', async () => {
    const v = await publish(NAME, { files: tinyModel().files });
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v } });
    // 256 texts cost 16 units of the 300 per 10 s: 18 batches fit in a window, the 19th does not (it is
    // answered, and the next one refused).
    const texts = Array.from({ length: 256 }, (_, i) => `good ${i}`);
    const r = await untilLimited('POST', '/api/v1/predict', () => ({ body: { texts }, token: null, headers: from('203.0.113.7') }), 120, LIMIT_PERIOD_S.PREDICT_LIMITER);
    expectLimitedAfter(r, 19);
    const { limited } = r;
    // /predict asks the limiter after answering: the client is refused from the request after the one
    // found over the limit, for the rest of the period (Retry-After: the seconds left of it).
    const retry = Number(limited.res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(LIMIT_PERIOD_S.PREDICT_LIMITER);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(new RegExp(`wait ${retry} s`)) });
    const again = await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, token: null, headers: from('203.0.113.7') });
    expect(again.status).toBe(429);
    expect(Number(again.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(again.res.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, token: null, headers: from('203.0.113.8') })).status).toBe(200);
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, headers: from('203.0.113.7') })).status).toBe(200);
  }, 120_000);

  it('charges /predict by characters: 16 texts of 5,000 CJK characters cost 40 units, not 1 (issue 21)', async () => {
    const texts = Array.from({ length: 16 }, (_, i) => `${i}${'漢字かな交じり文'.repeat(625)}`.slice(0, 5000));
    expect(predictCost(texts)).toBe(40);
    expect(predictCost(Array.from({ length: 256 }, () => 'good'))).toBe(16);
    expect(predictCost(Array.from({ length: 256 }, () => '字'.repeat(5000)))).toBe(640);
    // 300 units per 10 s: the 8th such request is over the limit (answered; the next refused). Before: 300 requests.
    const r = await untilLimited('POST', '/api/v1/predict', () => ({ body: { texts }, token: null, headers: from('203.0.113.17') }), 60, LIMIT_PERIOD_S.PREDICT_LIMITER);
    expectLimitedAfter(r, 8);
    const { limited } = r;
    expect(limited.body.error.code).toBe('rate_limited');
  }, 120_000);

  it('asks the history limiter before reading the body: a flood of invalid syncs meets 429 (issue 21)', async () => {
    const r = await untilLimited('POST', '/api/v1/history', () => ({ body: { items: 'not rows' }, token: null, headers: from('198.51.100.19') }), 140, LIMIT_PERIOD_S.HISTORY_LIMITER);
    expectLimitedAfter(r, 30);
    const { limited } = r;
    expect(limited.body.error.code).toBe('rate_limited');
  }, 60_000);

  it('limits wrong tokens on /predict like every route: 403, then 429 (issue 21)', async () => {
    let i = 0;
    const r = await untilLimited('POST', '/api/v1/predict', () => ({ body: { text: 'hi', model: `${NAME}@1` }, token: `guess-${i++}`, headers: from('192.0.2.55') }), 100, LIMIT_PERIOD_S.AUTH_LIMITER);
    expectLimitedAfter(r, 20);
    const { limited } = r;
    expect(limited.res.headers.get('retry-after')).toBe(String(LIMIT_PERIOD_S.AUTH_LIMITER));
    const wrong = await callJson<any>('POST', '/api/v1/predict', { body: { text: 'hi' }, token: 'another-guess', headers: from('192.0.2.56') });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden');
  }, 60_000);

  it('limits history uploads per client', async () => {
    // 30 batches per 60 s; each is a valid one-row batch.
    const item = () => ({ id: crypto.randomUUID(), createdAt: new Date().toISOString(), model: { name: NAME, version: 1 }, label: 'positive', score: 0.9, probabilities: { negative: 0.1, positive: 0.9 }, textLength: 4, textSha256: 'c'.repeat(64), text: null, source: 'browser', latencyMs: 1 });
    const r = await untilLimited('POST', '/api/v1/history', () => ({ body: { items: [item()] }, token: null, headers: from('198.51.100.9') }), 140, LIMIT_PERIOD_S.HISTORY_LIMITER);
    expectLimitedAfter(r, 30);
    const { limited } = r;
    expect(limited.body.error.code).toBe('rate_limited');
  }, 60_000);

  it('slows down repeated wrong tokens (403, then 429)', async () => {
    let i = 0;
    const r = await untilLimited('POST', '/api/v1/admin/reload', () => ({ token: `guess-${i++}`, headers: from('192.0.2.44') }), 100, LIMIT_PERIOD_S.AUTH_LIMITER);
    expectLimitedAfter(r, 20);
    const { limited } = r;
    expect(limited.res.headers.get('retry-after')).toBe(String(LIMIT_PERIOD_S.AUTH_LIMITER));
    // The right token from the same address still works.
    expect((await callJson('POST', '/api/v1/admin/reload', { headers: from('192.0.2.44') })).status).toBe(200);
  }, 60_000);

  describe('per API key, from every address (issue 26)', () => {
    let ip = 0;
    /** A new address for every request: the per-address limits never apply, the key's own does. */
    const fresh = () => from(`100.64.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`);
    const key = async (name: string, role: string) => {
      const r = await callJson('POST', '/api/v1/keys', { body: { name: `${name}-${crypto.randomUUID().slice(0, 8)}`, role } });
      expect(r.status).toBe(201);
      return r.body as { name: string; key: string };
    };

    it('limits evaluation uploads with one key (10 units of 60 per 60 s): the 429 names the key, another key goes on', async () => {
      const ci = await key('ci', 'publisher');
      const per = LIMIT_UNITS.HEAVY_LIMITER / HEAVY_COST.evaluation;
      // An empty JSON body is refused (400) after the limiter has counted it: a flood of bad uploads is limited too.
      const r = await untilLimited('POST', '/api/v1/evaluations', () => ({ body: {}, token: ci.key, headers: fresh() }), 5 * per, LIMIT_PERIOD_S.HEAVY_LIMITER);
      expectLimitedAfter(r, per);
      const { limited } = r;
      expect(limited.body.error).toMatchObject({ code: 'rate_limited', details: { limiter: 'HEAVY_LIMITER', key: ci.name } });
      expect(Number(limited.res.headers.get('retry-after'))).toBeLessThanOrEqual(LIMIT_PERIOD_S.HEAVY_LIMITER);
      const other = await key('ci2', 'publisher');
      expect((await callJson('POST', '/api/v1/evaluations', { body: {}, token: other.key, headers: fresh() })).status).toBe(400);
      expect((await callJson('POST', '/api/v1/evaluations', { body: {}, headers: fresh() })).status).toBe(400);
    }, 60_000);

    it('limits feedback exports and history reads with one key', async () => {
      const ds = await key('ds', 'operator');
      const per = LIMIT_UNITS.HEAVY_LIMITER / HEAVY_COST.feedbackExport;
      // The export answers CSV: sent until the first 429 (a JSON error) by hand.
      let exported = 0;
      let refused: any = null;
      const start = Date.now();
      for (; exported < 5 * per; exported++) {
        const r = await call('GET', `/api/v1/feedback/export?model=${NAME}`, { token: ds.key, headers: fresh() });
        if (r.status === 429) {
          refused = await r.json();
          break;
        }
        expect(r.status).toBe(200);
        await r.text();
      }
      expectLimitedAfter({ ok: exported, windows: windowsSince(start, LIMIT_PERIOD_S.HEAVY_LIMITER) }, per);
      expect(refused?.error).toMatchObject({ code: 'rate_limited', details: { limiter: 'HEAVY_LIMITER', key: ds.name } });

      const dash = await key('dash', 'reader');
      const pages = LIMIT_UNITS.HEAVY_LIMITER / HEAVY_COST.historyPage;
      const hist = await untilLimited('GET', `/api/v1/history?model=${NAME}&n=1`, () => ({ token: dash.key, headers: fresh() }), 5 * pages, LIMIT_PERIOD_S.HEAVY_LIMITER);
      expectLimitedAfter(hist, pages);
      expect(hist.limited.body.error.details).toMatchObject({ limiter: 'HEAVY_LIMITER', key: dash.name });
    }, 120_000);

    it('limits /predict with one key: counted after the answer, refused from the next request on', async () => {
      const app = await key('app', 'reader');
      // 40 units a request (as above): few requests per 10 s window, so that a slow run crosses few windows.
      const texts = Array.from({ length: 16 }, (_, i) => `${i}${'漢字かな交じり文'.repeat(625)}`.slice(0, 5000));
      const per = Math.floor(LIMIT_UNITS.PREDICT_LIMITER / predictCost(texts)) + 1;
      const r = await untilLimited('POST', '/api/v1/predict', () => ({ body: { texts }, token: app.key, headers: fresh() }), 5 * per, LIMIT_PERIOD_S.PREDICT_LIMITER);
      expectLimitedAfter(r, per);
      const { limited } = r;
      expect(limited.body.error.details).toMatchObject({ limiter: 'PREDICT_LIMITER', key: app.name });
      // Anonymous from a new address is served.
      expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, token: null, headers: fresh() })).status).toBe(200);
    }, 120_000);
  });
});
