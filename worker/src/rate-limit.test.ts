// Per-client limits through the real Worker entry point, with the [[ratelimits]] bindings of
// wrangler.toml run by the local runtime. Requests name their client with CF-Connecting-IP, as
// Cloudflare's edge does.
import { describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel } from '../test/helpers.ts';
import { LIMIT_PERIOD_S } from './rate-limit.ts';

const NAME = 'sentiment';
const from = (ip: string) => ({ 'cf-connecting-ip': ip });

describe('rate limits', () => {
  it('limits one client on /predict (429, Retry-After, the error shape) while others and the token holder go on', async () => {
    const v = await publish(NAME, { files: tinyModel().files });
    await callJson('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: v } });
    // 256 texts cost 16 units of the 300 per 10 s: the 19th such batch is over.
    const texts = Array.from({ length: 256 }, (_, i) => `good ${i}`);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await callJson('POST', '/api/v1/predict', { body: { texts }, token: null, headers: from('203.0.113.7') })).status);
    expect(statuses.slice(0, 18)).toEqual(Array(18).fill(200));
    expect(statuses.slice(18)).toEqual([429, 429]);
    const limited = await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, token: null, headers: from('203.0.113.7') });
    expect(limited.status).toBe(429);
    expect(limited.res.headers.get('retry-after')).toBe(String(LIMIT_PERIOD_S.PREDICT_LIMITER));
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/wait 10 s/) });
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, token: null, headers: from('203.0.113.8') })).status).toBe(200);
    expect((await callJson('POST', '/api/v1/predict', { body: { text: 'good' }, headers: from('203.0.113.7') })).status).toBe(200);
  }, 60_000);

  it('limits history uploads per client', async () => {
    const statuses: number[] = [];
    // 30 batches per 60 s; each is a valid one-row batch (the limit is counted after validation).
    for (let i = 0; i < 31; i++) {
      const item = { id: crypto.randomUUID(), createdAt: new Date().toISOString(), model: { name: NAME, version: 1 }, label: 'positive', score: 0.9, probabilities: { negative: 0.1, positive: 0.9 }, textLength: 4, textSha256: 'c'.repeat(64), text: null, source: 'browser', latencyMs: 1 };
      statuses.push((await callJson('POST', '/api/v1/history', { body: { items: [item] }, token: null, headers: from('198.51.100.9') })).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses[30]).toBe(429);
  });

  it('slows down repeated wrong tokens (403, then 429)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await callJson('POST', '/api/v1/admin/reload', { token: `guess-${i}`, headers: from('192.0.2.44') })).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(403));
    expect(statuses[20]).toBe(429);
    // The right token from the same address still works.
    expect((await callJson('POST', '/api/v1/admin/reload', { headers: from('192.0.2.44') })).status).toBe(200);
  });
});
