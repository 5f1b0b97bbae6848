/** Inputs that used to slip through or crash: lenient numbers, deep JSON, huge versions; and Range downloads. */
import { MAX_VERSION } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILES, call, callJson, describeFiles, makeDraft, publish, uniqueName } from './helpers.ts';

const base = (name: string) => `/api/v1/models/${name}`;

describe('version numbers are plain decimal, 1..2^31-1', () => {
  it('refuses 0x1, 1e0, 01, +1, 1.0 and huge numbers in paths with 400 (the version exists as 1)', async () => {
    const name = uniqueName();
    await publish(name);
    expect((await call('GET', `${base(name)}/versions/1`)).status).toBe(200);
    for (const v of ['0x1', '1e0', '01', '+1', '1.0', '%201', String(MAX_VERSION + 1), '9007199254740993']) {
      for (const path of [`${base(name)}/versions/${v}`, `${base(name)}/versions/${v}/files/config.json`, `${base(name)}/refs/${v}`]) {
        const r = await callJson('GET', path);
        expect({ path, status: r.status, code: r.body.error?.code }).toEqual({ path, status: 400, code: 'validation_failed' });
      }
      const fin = await callJson('POST', `${base(name)}/versions/${v}/finalize`);
      expect({ v, status: fin.status }).toEqual({ v, status: 400 });
    }
  });

  it('refuses a manifest version beyond 2^31-1, and one that would use up automatic numbering (400)', async () => {
    const name = uniqueName();
    const files = await describeFiles(DEFAULT_FILES);
    for (const version of [MAX_VERSION + 1, 2 ** 53, 2 ** 53 + 2, MAX_VERSION]) {
      const r = await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files, { version }) });
      expect({ version, status: r.status }).toEqual({ version, status: 400 });
    }
    // Before issue 21, MAX_VERSION was accepted and every later automatic number was a 409.
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files) })).body.manifest.version).toBe(1);
  });

  it('refuses alias targets beyond the cap with 400', async () => {
    const name = uniqueName();
    await publish(name);
    const r = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 2 ** 53 } });
    expect(r.status).toBe(400);
  });
});

describe('deep JSON in a manifest', () => {
  it('answers 400, not a 500 from D1’s JSON check', async () => {
    const name = uniqueName();
    const draft = makeDraft(name, await describeFiles(DEFAULT_FILES));
    const params = '{"a":'.repeat(1000) + '1' + '}'.repeat(1000);
    const body = JSON.stringify({ ...draft, training: { ...draft.training, params: '__P__' } }).replace('"__P__"', params);
    const r = await callJson('POST', `${base(name)}/versions`, { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(r.body.error.message).toMatch(/nest at most/);
  });
});

describe('Range downloads of model files', () => {
  const bytes = new Uint8Array(Array.from({ length: 100 }, (_, i) => i));
  const files = { 'config.json': new TextEncoder().encode('{"model_type":"bert"}'), 'onnx/model.onnx': bytes };

  it('serves one range (206 + Content-Range), suffixes and open ends, 416 beyond the end, and keeps ETag/304', async () => {
    const name = uniqueName();
    await publish(name, { files });
    const url = `${base(name)}/versions/1/files/onnx/model.onnx`;
    const full = await call('GET', url);
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const etag = full.headers.get('etag')!;
    await full.arrayBuffer();

    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=90-', 90, 99],
      ['bytes=-5', 95, 99],
      ['bytes=50-1000', 50, 99],
    ];
    for (const [range, start, end] of cases) {
      const r = await call('GET', url, { headers: { range } });
      expect({ range, status: r.status }).toEqual({ range, status: 206 });
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/100`);
      expect(r.headers.get('content-length')).toBe(String(end - start + 1));
      expect(r.headers.get('etag')).toBe(etag);
      expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([...bytes.slice(start, end + 1)]);
    }

    for (const range of ['bytes=100-', 'bytes=500-600', 'bytes=-0']) {
      const r = await callJson('GET', url, { headers: { range } });
      expect({ range, status: r.status, code: r.body.error?.code }).toEqual({ range, status: 416, code: 'range_not_satisfiable' });
      expect(r.res.headers.get('content-range')).toBe('bytes */100');
    }

    // Not a single bytes range, or If-Range with another validator: the whole file.
    for (const headers of [{ range: 'bytes=0-1,5-6' }, { range: 'items=0-1' }, { range: 'bytes=9-2' }, { range: 'bytes=0-9', 'if-range': '"other"' }] as Record<string, string>[]) {
      const r = await call('GET', url, { headers });
      expect({ headers, status: r.status }).toEqual({ headers, status: 200 });
      expect((await r.arrayBuffer()).byteLength).toBe(100);
    }
    const ifRange = await call('GET', url, { headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(ifRange.status).toBe(206);
    await ifRange.arrayBuffer();

    const cached = await call('GET', url, { headers: { 'if-none-match': etag, range: 'bytes=0-9' } });
    expect(cached.status).toBe(304);
  });
});
