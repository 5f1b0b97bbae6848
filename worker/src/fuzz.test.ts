/**
 * Generated bad requests (fast-check, fixed seeds) at every route family, with and without the token,
 * through the real Worker entry point on local D1/R2. Every answer must be a 4xx in the one error
 * shape: no 5xx, no 2xx for a bad input, and nothing stored (D1 row counts and R2 objects unchanged).
 * The generators only make inputs that are wrong by construction (a valid base with one broken part,
 * or values filtered against the real parsers), so a 2xx is always a defect.
 */
import { sha256Hex, type ManifestDraft } from '@sentiment-edge/registry';
import { waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyToken, badName, badText, badVersionText, contexts, figures, goodText, isValidRef, json, jsonHeaders, NAME, noToken, run, seg, snapshot, type Req, type Token } from '../test/fuzz-harness.ts';
import { DEFAULT_FILES, TOKEN, call, describeFiles, enc, makeDraft, publish } from '../test/helpers.ts';
import { decodeCursor } from './db/history.ts';

// ---- fixtures ------------------------------------------------------------------------------

let readyDraft: ManifestDraft;
let before: Record<string, number>;

beforeAll(async () => {
  await publish(NAME); // version 1, ready
  const set = await call('PUT', `/api/v1/models/${NAME}/aliases/champion`, { body: { version: 1 } });
  expect(set.status).toBe(200);
  await publish(NAME, { finalize: false, files: { 'config.json': enc('{"model_type":"bert"}'), 'onnx/model.onnx': enc('pending bytes') } }); // version 2: pending, uploaded…
  // …but one declared file never arrives, so version 2 can never finalize.
  const draft = makeDraft(NAME, [...(await describeFiles(DEFAULT_FILES)), { path: 'never.bin', bytes: 3, sha256: await sha256Hex('abc') }]);
  const created = await call('POST', `/api/v1/models/${NAME}/versions`, { body: draft });
  expect(created.status).toBe(201); // version 3: pending, incomplete
  readyDraft = makeDraft(NAME, await describeFiles(DEFAULT_FILES));
  before = await snapshot();
});

afterAll(async () => {
  await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)));
  expect(await snapshot()).toEqual(before);
  const total = Object.values(figures).reduce((n, f) => n + f.cases, 0);
  const ms = Object.values(figures).reduce((n, f) => n + f.ms, 0);
  console.log(`fuzz: ${total} bad requests in ${(ms / 1000).toFixed(1)} s, 0 × 5xx, 0 × 2xx, no state change`);
  for (const [family, f] of Object.entries(figures)) console.log(`  ${family.padEnd(16)} ${f.cases} cases ${(f.ms / 1000).toFixed(1)} s  statuses ${JSON.stringify(f.statuses)}`);
});

// ---- families ------------------------------------------------------------------------------

describe('fuzz: every bad request is a 4xx in the error shape, and changes nothing', { timeout: 120_000 }, () => {
  it('predict', async () => {
    const badPredictBody = fc.oneof(
      fc.record({ text: badText }),
      fc.record({ texts: fc.oneof(fc.constant([]), fc.array(badText, { minLength: 1, maxLength: 3 }), fc.tuple(goodText, badText).map(([a, b]) => [a, b]), fc.constant(Array.from({ length: 257 }, () => 'x'))) }),
      fc.record({ text: goodText, texts: fc.array(goodText, { minLength: 1, maxLength: 2 }) }),
      fc.record({ text: goodText, precision: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean()).filter((p) => p !== 'int8' && p !== 'fp32') }),
      fc.record({ text: goodText, model: fc.oneof(fc.string().filter((s) => !isValidRef(s)), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 1 })) }),
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || !('text' in v || 'texts' in v)).map(json),
    );
    const raw = fc.oneof(
      badPredictBody.map((b) => (typeof b === 'string' ? b : json(b))),
      fc.string().filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc.constant('{"text": "good'),
      fc.constant('['.repeat(5000)),
    );
    const req = fc.record({
      path: fc.constantFrom('/predict', '/api/v1/predict'),
      body: raw,
      type: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json5', '') }),
      dtype: fc.option(fc.string({ maxLength: 6 }).filter((d) => d !== 'int8' && d !== 'fp32'), { nil: undefined }),
      token: anyToken,
    });
    await run('predict', req, (r) => ({ method: 'POST', path: r.path + (r.dtype !== undefined ? `?dtype=${seg(r.dtype)}` : ''), token: r.token, body: r.body, headers: r.type ? { 'content-type': r.type } : ({} as Record<string, string>) }), 1);
  });

  it('history GET', async () => {
    const badN = fc.oneof(fc.constantFrom('0', '-1', '501', '0x10', '1e1', '01', ' 5', 'abc', '', '1.5'), fc.string({ maxLength: 6 }).filter((s) => !/^[1-9][0-9]{0,3}$/.test(s) || Number(s) > 500));
    const badCursor = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => {
      try {
        decodeCursor(s);
        return false;
      } catch {
        return true;
      }
    });
    const bad = fc.oneof(
      badN.map((v) => `n=${seg(v)}`),
      badCursor.map((v) => `cursor=${seg(v)}`),
      fc.string({ maxLength: 10 }).filter((s) => s !== 'edge' && s !== 'browser').map((v) => `source=${seg(v)}`),
      fc.oneof(fc.constant(''), fc.constant('x'.repeat(65))).map((v) => `label=${v}`),
      fc.oneof(fc.constant(''), fc.constant(`${NAME}@0x1`), fc.constant(`${NAME}@01`), badVersionText.map((v) => `${NAME}@${v}`)).map((v) => `model=${seg(v)}`),
      fc.constant('x'.repeat(501)).map((v) => `cursor=${v}`),
    );
    await run('history GET', fc.record({ bad, extra: fc.constantFrom('', '&unknown=1', '&'), token: anyToken }), (r) => ({ method: 'GET', path: `/api/v1/history?${r.bad}${r.extra}`, token: r.token }), 2);
  });

  it('history POST', async () => {
    const text = 'a fine film';
    const sha = await sha256Hex(text);
    const ok = { id: '', createdAt: new Date().toISOString(), model: { name: NAME, version: 1 }, label: 'positive', score: 0.75, probabilities: { negative: 0.25, positive: 0.75 }, textLength: text.length, textSha256: sha, text, source: 'browser', latencyMs: 1 };
    const mutation = fc.oneof(
      fc.record({ id: fc.oneof(fc.constantFrom('', 'short', 'has space!', 'x'.repeat(65)), fc.integer()) }),
      fc.record({ createdAt: fc.oneof(fc.constantFrom('yesterday', '9999-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '2019-12-31T23:59:59Z', '2026-13-01T00:00:00Z'), fc.date({ min: new Date(Date.now() + 3_600_000), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true }).map((d) => d.toISOString())) }),
      fc.record({ model: fc.oneof(fc.record({ name: badName, version: fc.constant(1) }), fc.record({ name: fc.constant(NAME), version: fc.oneof(fc.integer({ min: 2, max: 2 ** 31 }), fc.constant(0), fc.constant(2 ** 53), fc.double().filter((v) => v !== 1)) }), fc.constant({ name: 'nope', version: 1 })) }),
      fc.record({ label: fc.oneof(fc.constantFrom('toString', '__proto__', 'constructor', 'negative', 'neutral', ''), fc.string({ minLength: 65, maxLength: 70 })) }),
      fc.record({ score: fc.double({ min: 0, max: 1, noNaN: true }).filter((s) => Math.abs(s - 0.75) > 1e-3) }),
      fc.record({ probabilities: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 3 }).filter((p) => !(Object.keys(p).length === 2 && p.positive === 0.75 && p.negative === 0.25)), fc.constant({ negative: 0.25, positive: 0.75, neutral: 0 })) }),
      fc.record({ textLength: fc.integer({ min: -5, max: 2_000_000 }).filter((n) => n !== text.length) }),
      fc.record({ textSha256: fc.oneof(fc.constant('c'.repeat(64)), fc.string({ maxLength: 70 })) }),
      fc.record({ text: fc.oneof(fc.constant('\ufeffa fine fil'), fc.constant('a fine fi\ud800'), fc.string({ maxLength: 20 }).filter((s) => s !== text), fc.constant('x'.repeat(5001))) }),
      fc.record({ source: fc.oneof(fc.constantFrom('edge', 'server', ''), fc.integer()) }),
      fc.record({ latencyMs: fc.oneof(fc.constantFrom(-1, 3_600_001), fc.string()) }),
    );
    const body = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.uuid(), mutation).map(([id, m]) => json({ items: [{ ...ok, id, ...m }] })) },
      { weight: 1, arbitrary: fc.uuid().map((id) => json({ items: [{ ...ok, id }, { ...ok, id }] })) },
      { weight: 1, arbitrary: fc.uuid().map((id) => json({ items: Array.from({ length: 501 }, () => ({ ...ok, id })) })) },
      { weight: 1, arbitrary: fc.jsonValue().map(json) },
      { weight: 1, arbitrary: fc.constantFrom('{"items":', '', 'null', '{"items":[]}', '{"items":{}}') },
    );
    await run('history POST', fc.record({ body, token: anyToken }), (r) => ({ method: 'POST', path: '/api/v1/history', token: r.token, body: r.body, headers: jsonHeaders }), 3);
  });

  it('versions create', async () => {
    const d = () => structuredClone(readyDraft) as any;
    const broken = fc.oneof(
      fc.constant(() => ({ ...d(), labels: ['a', 'a'] })),
      fc.constant(() => ({ ...d(), files: [] })),
      fc.constant(() => ({ ...d(), name: 'other' })),
      fc.constant(() => ({ ...d(), evaluation: { ...d().evaluation, confusion: [[1]] } })),
      fc.constant(() => ({ ...d(), training: { ...d().training, params: JSON.parse('{"a":'.repeat(1000) + '1' + '}'.repeat(1000)) } })),
      fc.oneof(fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 1e300), fc.string()).map((version) => () => ({ ...d(), version })),
      fc.string({ maxLength: 10 }).map((sha256) => () => ({ ...d(), files: [{ ...d().files[0], sha256 }] })),
      fc.constantFrom('../x', '/abs', 'a//b', 'a b', '').map((path) => () => ({ ...d(), files: [{ ...d().files[0], path }] })),
      fc.double({ noNaN: true }).filter((x) => x < 0 || x > 1).map((macroF1) => () => ({ ...d(), evaluation: { ...d().evaluation, macroF1 } })),
      fc.constant(() => ({ ...d(), files: [{ ...d().files[0], bytes: 1e12 }] })),
      fc.jsonValue().map((v) => () => v),
    );
    const req = fc.record({
      name: fc.oneof({ weight: 3, arbitrary: fc.constant(NAME) }, { weight: 1, arbitrary: badName }),
      body: fc.oneof({ weight: 5, arbitrary: broken.map((f) => json(f())) }, { weight: 1, arbitrary: fc.constantFrom('{', '', '[]', '{"name":'.repeat(2000)) }),
      token: anyToken,
    });
    await run('versions create', req, (r) => ({ method: 'POST', path: `/api/v1/models/${seg(r.name)}/versions`, token: r.token, body: r.body, headers: jsonHeaders }), 4);
  });

  it('files PUT', async () => {
    const right = enc('{"model_type":"bert"}');
    const declared: Record<string, Uint8Array> = { 'config.json': right, 'onnx/model.onnx': DEFAULT_FILES['onnx/model.onnx']!, 'never.bin': enc('abc') };
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
    const target = fc.oneof(
      // version 3 is pending: only wrong bytes for its declared files (right ones would be a valid upload)
      fc.tuple(fc.constantFrom('config.json', 'onnx/model.onnx', 'never.bin'), fc.uint8Array({ maxLength: 40 })).filter(([p, b]) => !same(b, declared[p]!)).map(([p, b]) => ({ path: `/api/v1/models/${NAME}/versions/3/files/${p}`, bytes: b })),
      // version 1 is ready (immutable), 999 does not exist; version 2 (pending) is left alone: a right upload there is valid
      fc.tuple(fc.constantFrom('1', '999'), fc.constantFrom('config.json', 'undeclared.bin')).map(([v, p]) => ({ path: `/api/v1/models/${NAME}/versions/${v}/files/${p}`, bytes: right })),
      badVersionText.map((v) => ({ path: `/api/v1/models/${NAME}/versions/${seg(v)}/files/config.json`, bytes: right })),
      fc.constantFrom('..%2Fx', '.', 'a%20b', '%00', 'x/..%2Fconfig.json', 'x'.repeat(201)).map((p) => ({ path: `/api/v1/models/${NAME}/versions/3/files/${p}`, bytes: right })),
      badName.map((n) => ({ path: `/api/v1/models/${seg(n)}/versions/3/files/config.json`, bytes: right })),
    );
    await run('files PUT', fc.record({ t: target, token: anyToken }), (r) => ({ method: 'PUT', path: r.t.path, token: r.token, body: r.t.bytes, headers: { 'content-type': 'application/octet-stream' } }), 5);
  });

  it('files GET', async () => {
    const target = fc.oneof(
      fc.constantFrom('2', '3', '999', '2147483647').map((v) => `/api/v1/models/${NAME}/versions/${v}/files/config.json`),
      badVersionText.map((v) => `/api/v1/models/${NAME}/versions/${seg(v)}/files/config.json`),
      // (no "x/../config.json": the URL parser resolves it to config.json before the Worker sees it)
      fc.constantFrom('undeclared.bin', '..%2Fx', 'a%20b', 'x/..%2Fconfig.json').map((p) => `/api/v1/models/${NAME}/versions/1/files/${p}`),
      badName.map((n) => `/api/v1/models/${seg(n)}/versions/1/files/config.json`),
    );
    const withRange = fc.oneof(
      fc.record({ path: target, range: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }),
      // an existing file, but a range that starts beyond its end
      fc.integer({ min: 21, max: 1e9 }).map((start) => ({ path: `/api/v1/models/${NAME}/versions/1/files/config.json`, range: `bytes=${start}-` as string | undefined })),
    );
    await run('files GET', fc.record({ t: withRange, token: anyToken }), (r) => ({ method: 'GET', path: r.t.path, token: r.token, headers: r.t.range !== undefined ? { range: r.t.range } : ({} as Record<string, string>) }), 6);
  });

  it('finalize', async () => {
    const version = fc.oneof(fc.constantFrom('1', '3', '999', '2147483647'), badVersionText.map(seg));
    const req = fc.record({ name: fc.oneof(fc.constant(NAME), badName.map(seg), fc.constant('unknown-model')), version, token: anyToken });
    await run('finalize', req, (r) => ({ method: 'POST', path: `/api/v1/models/${r.name}/versions/${r.version}/finalize`, token: r.token }), 7);
  });

  it('aliases PUT', async () => {
    const badBody = fc.oneof(
      fc.record({ version: fc.oneof(fc.integer({ min: 2, max: 2 ** 31 }), fc.constantFrom(0, -1, 1.5, 2 ** 53), fc.string(), fc.constant(null)) }),
      fc.record({ version: fc.constant(1), expectedVersion: fc.oneof(fc.integer({ min: 2, max: 1000 }), fc.constant(0), fc.string()) }),
      fc.record({ version: fc.constant(1), reason: fc.string({ minLength: 501, maxLength: 520 }) }),
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || !('version' in v)),
    );
    // Version 1 is the only ready version: it is only sent with a wrong expectedVersion (never 1 or null) or a bad reason.
    const alias = fc.oneof(fc.constantFrom('champion', 'challenger', 'new-alias'), fc.constantFrom('1', 'Champion', '-x', 'a b', 'x'.repeat(33)).map(seg));
    const req = fc.record({ alias, body: badBody.map(json), token: anyToken, name: fc.oneof({ weight: 4, arbitrary: fc.constant(NAME) }, { weight: 1, arbitrary: badName.map(seg) }) });
    await run('aliases PUT', req, (r) => ({ method: 'PUT', path: `/api/v1/models/${r.name}/aliases/${r.alias}`, token: r.token, body: r.body, headers: jsonHeaders }), 8);
  });

  it('aliases DELETE', async () => {
    // With the right token only aliases that do not exist; champion exists, so only without a (right) token.
    const req = fc.oneof(
      fc.record({ alias: fc.constant('champion'), token: noToken }),
      fc.record({ alias: fc.oneof(fc.constantFrom('challenger', 'ghost', '1', 'A', 'x'.repeat(33)), fc.string({ minLength: 1, maxLength: 40 }).filter((a) => a !== 'champion')).map(seg), token: anyToken }),
    );
    await run('aliases DELETE', req, (r) => ({ method: 'DELETE', path: `/api/v1/models/${NAME}/aliases/${r.alias}`, token: r.token }), 9);
  });

  it('refs', async () => {
    const ref = fc.oneof(badVersionText, fc.constantFrom('2', '3', '999', 'challenger', 'ghost'), fc.string({ minLength: 1, maxLength: 40 })).filter((r) => r !== 'champion' && r !== '1');
    const req = fc.record({ name: fc.oneof(fc.constant(NAME), badName, fc.constant('unknown-model')), ref, token: anyToken });
    await run('refs', req, (r) => ({ method: 'GET', path: `/api/v1/models/${seg(r.name)}/refs/${seg(r.ref)}`, token: r.token }), 10);
  });

  it('promotion policy', async () => {
    // Every body is invalid (a field out of its range or of the wrong type, an unknown field, not an object);
    // GET policy (none is stored) and GET decisions with a bad n or without the right token.
    const num = (o: { min?: number; max?: number }) => fc.double({ ...o, noNaN: true, noDefaultInfinity: true });
    const badPolicy = fc.oneof(
      fc.record({ minRows: fc.oneof(fc.integer({ max: 0 }), num({ min: 1.001, max: 1e6 }).filter((v) => !Number.isInteger(v)), fc.string(), fc.constant(null)) }),
      fc.record({ minHours: fc.oneof(num({ max: -0.001, min: -1e9 }), num({ min: 8761, max: 1e12 }), fc.string(), fc.constant(null)) }),
      fc.record({ paused: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
      fc.record({ conditions: fc.record({ minShadowAgreement: fc.oneof(num({ min: 1.001, max: 1e9 }), num({ max: -0.001, min: -1e9 }), fc.string()) }) }),
      fc.record({ conditions: fc.record({ latencyP95Factor: fc.oneof(num({ max: 0.999, min: -1e9 }), fc.boolean()) }) }),
      fc.record({ conditions: fc.record({ realisedAccuracy: fc.record({ minRows: fc.integer({ max: 0 }), tolerance: fc.constant(0.1) }) }) }),
      fc.record({ conditions: fc.oneof(fc.string(), fc.integer(), fc.record({ unknown: fc.integer() })) }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['paused', 'minRows', 'minHours', 'conditions'].includes(k)), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }),
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
    );
    const put = fc.record({ body: badPolicy.map(json), token: anyToken, name: fc.oneof({ weight: 4, arbitrary: fc.constant(NAME) }, { weight: 1, arbitrary: badName.map(seg) }) });
    const badN = fc.oneof(fc.constantFrom('0', '-1', '501', '0x10', '1e1', '01', 'abc', ''), fc.string({ maxLength: 6 }).filter((v) => !/^[1-9][0-9]{0,2}$/.test(v) || Number(v) > 500));
    const get = fc.oneof(
      fc.record({ path: fc.constant(`/api/v1/models/${NAME}/policy`), token: anyToken }),
      fc.record({ path: badN.map((n) => `/api/v1/models/${NAME}/decisions?n=${encodeURIComponent(n)}`), token: anyToken }),
      fc.record({ path: fc.constant(`/api/v1/models/${NAME}/decisions`), token: noToken }),
    );
    const req = fc.oneof(put.map((r): Req => ({ method: 'PUT', path: `/api/v1/models/${r.name}/policy`, token: r.token, body: r.body, headers: jsonHeaders })), get.map((r): Req => ({ method: 'GET', path: r.path, token: r.token })));
    await run('promotion policy', req, (r) => r, 12);
  });

  it('admin reload', async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 60 }).filter((h) => !h.includes(TOKEN) && /^[\x20-\x7e]*$/.test(h)),
      fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${TOKEN}x`, `Bearer x${TOKEN}`, `Token ${TOKEN}`, `Bearer\t${TOKEN}`),
    );
    const req = fc.oneof(fc.record({ token: noToken, header: fc.constant(undefined) }), fc.record({ token: fc.constant<Token>(null), header: header.map((h): string | undefined => h) }));
    await run('admin reload', req, (r) => ({ method: 'POST', path: '/api/v1/admin/reload', token: r.token, headers: r.header !== undefined ? { authorization: r.header } : ({} as Record<string, string>) }), 11);
  });
});
