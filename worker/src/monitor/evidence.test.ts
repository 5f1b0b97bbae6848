// The promotion policy acts only on trusted evidence. Each way an anonymous caller could forge evidence is replayed
// through the real Worker (anonymous requests with CF-Connecting-IP, as Cloudflare's edge sends them) and
// the hourly job; nothing may move. The decisions record what they counted, by source.
import { MODEL_LAYOUT, type PromotionDecision, type PromotionPolicyInput } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { callJson, publish, tinyModel, uniqueName } from '../../test/helpers.ts';
import { publishVersion, REFERENCE, runScheduled } from '../../test/monitor.ts';

const from = (ip: string) => ({ 'cf-connecting-ip': ip });

/** champion v1 and a canary v2 at share 0 (no real traffic), the given policy. */
async function setup(prefix: string, policy: PromotionPolicyInput) {
  const name = uniqueName(prefix);
  const champion = await publishVersion(name, 'champion', REFERENCE);
  const canary = await publishVersion(name, 'canary', REFERENCE);
  expect((await callJson('PUT', `/api/v1/models/${name}/aliases/canary`, { body: { version: canary, share: 0 } })).status).toBe(200);
  expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: policy })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 5)); // rows strictly after the canary was set
  return { name, champion, canary };
}

/** `n` browser rows for name@version with the top label at `score`, as an attacker forges them. */
function forged(name: string, version: number, n: number, score: number) {
  const createdAt = new Date().toISOString();
  return Array.from({ length: n }, () => ({
    id: crypto.randomUUID(),
    createdAt,
    model: { name, version },
    label: 'positive',
    score,
    probabilities: { negative: 1 - score, positive: score },
    textLength: 5,
    textSha256: 'b'.repeat(64),
    source: 'browser',
    latencyMs: 3,
  }));
}

const sync = (items: unknown[], ip: string) => callJson<any>('POST', '/api/v1/history', { body: { items }, token: null, headers: from(ip) });
const aliases = async (name: string) => Object.fromEntries(((await callJson('GET', `/api/v1/models/${name}/aliases`)).body.aliases as { alias: string; version: number }[]).map((a) => [a.alias, a.version]));
const lastDecision = async (name: string): Promise<PromotionDecision> => (await callJson('GET', `/api/v1/models/${name}/decisions?n=1`)).body.decisions[0];

describe('evidence anyone can write moves nothing', () => {
  it('forced rollback: 500 anonymous forged browser rows are stored for the history but not counted', async () => {
    const s = await setup('forge-rollback', {});
    const r = await sync([...forged(s.name, s.canary, 250, 0.55), ...forged(s.name, s.champion, 250, 0.99)], '203.0.113.99');
    expect(r.body).toEqual({ inserted: 500, duplicates: 0 });
    await runScheduled(Date.now() + 60_000);
    const d = await lastDecision(s.name);
    // Before: rollback/applied "regression: estimated accuracy (CBPE) 55.0 % vs champion 99.0 %".
    expect(d).toMatchObject({ action: 'hold', outcome: 'none' });
    expect(d.reasons[0]).toMatch(/^traffic too thin: canary v\d+ has 0 rows of traffic .*0 edge \+ 0 browser counted of 250 synced/);
    expect(d.evidence.candidate.sources).toEqual({ edge: 0, browser: { stored: 250, counted: 0, clientDays: 0, outlierClientDays: 0 }, failed: 0, feedback: { trusted: 0, untrusted: 0 } });
    expect(d.evidence.champion!.sources.browser).toMatchObject({ stored: 250, counted: 0 });
    expect(await aliases(s.name)).toEqual({ champion: s.champion, canary: s.canary });
  });

  it('forced promotion: forged rows for a canary under minHours 0 promote nothing; counted browser rows are bounded per client and day', async () => {
    const s = await setup('forge-promote', { minHours: 0 });
    await sync(forged(s.name, s.canary, 200, 0.99), '203.0.113.98');
    await runScheduled(Date.now() + 60_000);
    expect(await lastDecision(s.name)).toMatchObject({ action: 'hold', outcome: 'none' }); // before: promote/applied
    expect(await aliases(s.name)).toEqual({ champion: s.champion, canary: s.canary });

    // An operator who opts in to browser rows: one address counts at most maxRowsPerClientDay of them.
    expect((await callJson('PUT', `/api/v1/models/${s.name}/policy`, { body: { minHours: 0, minRows: 100, browserEvidence: { maxRowsPerClientDay: 50 } } })).status).toBe(200);
    await runScheduled(Date.now() + 60_000);
    const capped = await lastDecision(s.name);
    expect(capped.evidence.candidate.sources.browser).toEqual({ stored: 200, counted: 50, clientDays: 1, outlierClientDays: 0 });
    expect(capped).toMatchObject({ action: 'hold' });
    expect(capped.reasons[0]).toMatch(/^traffic too thin: .*50 answered: 0 edge \+ 50 browser counted of 200 synced/);

    // Enough addresses to pass the traffic bar: estimated accuracy (the champion has no counted rows), agreement and
    // latency were not measured, so it is held.
    for (let i = 0; i < 4; i++) await sync(forged(s.name, s.canary, 50, 0.99), `198.18.7.${i + 1}`);
    // One client-day far from the others' mean confidence is left out as an outlier.
    await sync(forged(s.name, s.canary, 50, 0.51), '198.18.7.99');
    await runScheduled(Date.now() + 60_000);
    const skipped = await lastDecision(s.name);
    expect(skipped.evidence.candidate.sources.browser).toEqual({ stored: 450, counted: 250, clientDays: 6, outlierClientDays: 1 });
    expect(skipped).toMatchObject({ action: 'hold', outcome: 'none' });
    expect(skipped.reasons).toEqual([
      expect.stringMatching(/^not measured: estimated accuracy not compared: the champion has no scored rows/),
      expect.stringMatching(/^not measured: no shadow rows/),
      expect.stringMatching(/^not measured: p95 latency not compared/),
    ]);
    expect(await aliases(s.name)).toEqual({ champion: s.champion, canary: s.canary });
  });

  it('no forged rows needed: requests for a precision the canary lacks are refused and never counted as its errors', async () => {
    const name = uniqueName('precision');
    const files = tinyModel().files;
    const champion = await publish(name, { files });
    const canary = await publish(name, { files: Object.fromEntries(Object.entries(files).filter(([p]) => p !== MODEL_LAYOUT.onnx)) });
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/champion`, { body: { version: champion } })).status).toBe(200);
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/canary`, { body: { version: canary, share: 0 } })).status).toBe(200);
    expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: {} })).status).toBe(200);
    const texts = Array.from({ length: 16 }, (_, i) => `hello ${i}`);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      // Anonymous: fp32 needs the token. With the token: 404, the canary has no fp32 graph (not a 503).
      const anonymous = await callJson<any>('POST', '/api/v1/predict', { body: { texts, model: `${name}@canary`, precision: 'fp32' }, token: null, headers: from('203.0.113.77') });
      const operator = await callJson<any>('POST', '/api/v1/predict', { body: { texts, model: `${name}@canary`, precision: 'fp32' } });
      statuses.push(anonymous.status, operator.status);
      if (i === 0) expect(operator.body.error).toMatchObject({ code: 'precision_unavailable', message: expect.stringMatching(/has no fp32 graph \(onnx\/model.onnx\); ask for int8/) });
    }
    expect(new Set(statuses)).toEqual(new Set([401, 404]));
    await new Promise((r) => setTimeout(r, 200)); // any version error is written after the answer
    const errors = await env.DB.prepare(`SELECT TOTAL(count) AS n FROM version_errors WHERE model_name = ?1`).bind(name).first<{ n: number }>();
    expect(errors!.n).toBe(0); // before: 448 failed texts
    await runScheduled(Date.now() + 61_000);
    const d = await lastDecision(name);
    expect(d).toMatchObject({ action: 'hold', outcome: 'none' }); // before: rollback/applied "error rate 100.0 %"
    expect(d.evidence.candidate.sources.failed).toBe(0);
    expect(await aliases(name)).toEqual({ champion, canary });
  });
});
