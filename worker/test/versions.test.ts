/** Publishing through HTTP: create → upload → finalize, reads, file downloads. */
import { sha256Hex } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/storage/files.ts';
import { DEFAULT_FILES, call, callJson, describeFiles, enc, makeDraft, publish, uniqueName } from './helpers.ts';

/** The R2 keys stored under a version. */
const storedKeys = async (name: string, v: number) => (await env.MODELS.list({ prefix: `models/${name}/${v}/` })).objects.map((o) => o.key);

const base = (name: string) => `/api/v1/models/${name}`;

describe('POST /models/{name}/versions', () => {
  it('creates a pending version with upload URLs (201)', async () => {
    const name = uniqueName();
    const draft = makeDraft(name, await describeFiles(DEFAULT_FILES));
    const { status, body, res } = await callJson('POST', `${base(name)}/versions`, { body: draft });
    expect(status).toBe(201);
    expect(body.manifest).toMatchObject({ name, version: 1, status: 'pending', bytes: 21 + 8, labels: ['negative', 'positive'] });
    expect(body.uploads).toEqual([
      { path: 'config.json', url: `${base(name)}/versions/1/files/config.json` },
      { path: 'onnx/model.onnx', url: `${base(name)}/versions/1/files/onnx/model.onnx` },
    ]);
    expect(res.headers.get('location')).toBe(`${base(name)}/versions/1`);
  });

  it('assigns the next version when omitted, refuses an existing one (409)', async () => {
    const name = uniqueName();
    const files = await describeFiles(DEFAULT_FILES);
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files) })).body.manifest.version).toBe(1);
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files) })).body.manifest.version).toBe(2);
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files, { version: 7 }) })).status).toBe(201);
    const dup = await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files, { version: 7 }) });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files) })).body.manifest.version).toBe(8);
  });

  it('refuses an explicit version that would use up automatic numbering, e.g. 2147483647 (issue 21)', async () => {
    const name = uniqueName();
    const files = await describeFiles(DEFAULT_FILES);
    const huge = await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files, { version: 2147483647 }) });
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatchObject({ code: 'validation_failed', details: { path: 'version', highest: 0, max: 1000 } });
    expect(huge.body.error.message).toMatch(/omit "version" to get 1/);
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files, { version: 1000 }) })).status).toBe(201);
    // Automatic numbering goes on.
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, files) })).body.manifest.version).toBe(1001);
  });

  it('deletes a pending version with its uploaded bytes; finalized versions are 409 (issue 21)', async () => {
    const name = uniqueName();
    const pending = await publish(name, { finalize: false });
    const key = (await env.DB.prepare(`SELECT object_key FROM files WHERE name = ?1 AND version = ?2 AND uploaded_sha256 IS NOT NULL`).bind(name, pending).first<{ object_key: string }>())!.object_key;
    expect(await env.MODELS.head(key)).not.toBeNull();
    expect((await callJson('DELETE', `${base(name)}/versions/${pending}`, { token: null })).status).toBe(401);
    const del = await callJson('DELETE', `${base(name)}/versions/${pending}`);
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(del.body).toEqual({ name, version: pending, deletedObjects: Object.keys(DEFAULT_FILES).length });
    expect(await env.MODELS.head(key)).toBeNull();
    expect((await callJson('DELETE', `${base(name)}/versions/${pending}`)).status).toBe(404);
    // Its number is free again.
    expect((await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, await describeFiles(DEFAULT_FILES)) })).body.manifest.version).toBe(pending);
    const ready = await publish(name);
    const refused = await callJson('DELETE', `${base(name)}/versions/${ready}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/is ready; only pending versions can be deleted/);
  });

  it('needs the token: 401 without (with WWW-Authenticate), 403 with a wrong one', async () => {
    const name = uniqueName();
    const draft = makeDraft(name, await describeFiles(DEFAULT_FILES));
    const none = await callJson('POST', `${base(name)}/versions`, { body: draft, token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await callJson('POST', `${base(name)}/versions`, { body: draft, token: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden');
    const basic = await callJson('POST', `${base(name)}/versions`, { body: draft, token: null, headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);
  });

  it('validates the draft: 400 validation_failed with details', async () => {
    const name = uniqueName();
    const draft = makeDraft(name, await describeFiles(DEFAULT_FILES));
    const bad = await callJson('POST', `${base(name)}/versions`, { body: { ...draft, labels: ['only-one'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'labels' })]));
    const dupPaths = await callJson('POST', `${base(name)}/versions`, { body: { ...draft, files: [draft.files[0], draft.files[0]] } });
    expect(dupPaths.status).toBe(400);
    const traversal = await callJson('POST', `${base(name)}/versions`, { body: { ...draft, files: [{ ...draft.files[0], path: '../x' }] } });
    expect(traversal.status).toBe(400);
  });

  it('refuses a name mismatch, malformed JSON, a bad model name, an oversized file', async () => {
    const name = uniqueName();
    const files = await describeFiles(DEFAULT_FILES);
    const mismatch = await callJson('POST', `${base(name)}/versions`, { body: makeDraft('other', files) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe('bad_request');
    const malformed = await callJson('POST', `${base(name)}/versions`, { body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/JSON/);
    const badName = await callJson('POST', `/api/v1/models/Bad%20Name/versions`, { body: makeDraft('x', files) });
    expect(badName.status).toBe(400);
    expect(badName.body.error.code).toBe('validation_failed');
    const giant = await callJson('POST', `${base(name)}/versions`, { body: { ...makeDraft(name, files), padding: 'x'.repeat(1024 * 1024) } });
    expect(giant.status).toBe(413);
    const huge = await callJson('POST', `${base(name)}/versions`, { body: makeDraft(name, [{ path: 'big.bin', bytes: 65537, sha256: 'b'.repeat(64) }]) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });
});

describe('PUT …/files/*', () => {
  it('stores verified bytes in R2 and reports their sha256', async () => {
    const name = uniqueName();
    const v = await publish(name, { finalize: false });
    const bytes = DEFAULT_FILES['onnx/model.onnx']!;
    const { status, body } = await callJson('PUT', `${base(name)}/versions/${v}/files/onnx/model.onnx`, { body: bytes });
    expect(status).toBe(200);
    expect(body).toEqual({ path: 'onnx/model.onnx', sha256: await sha256Hex(bytes), bytes: 8 });
    // Under this upload attempt's own key (models/<name>/<version>/@<uuid>/<path>), with R2's own sha256.
    const keys = (await storedKeys(name, v)).filter((k) => k.endsWith('model.onnx'));
    expect(keys).toEqual([expect.stringMatching(new RegExp(`^models/${name}/${v}/@[0-9a-f-]{36}/onnx/model.onnx$`))]);
    const obj = await env.MODELS.get(keys[0]!);
    expect(new Uint8Array(await obj!.arrayBuffer())).toEqual(bytes);
    expect(toHex(obj!.checksums.sha256!)).toBe(body.sha256);
    // The same bytes again: the new copy replaces the old one, which is deleted.
    expect((await callJson('PUT', `${base(name)}/versions/${v}/files/onnx/model.onnx`, { body: bytes })).status).toBe(200);
    const after = (await storedKeys(name, v)).filter((k) => k.endsWith('model.onnx'));
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(keys[0]);
  });

  it('refuses bytes whose sha256 differs (400 sha256_mismatch) and deletes them', async () => {
    const name = uniqueName();
    const v = await publish(name, { files: { 'onnx/model.onnx': DEFAULT_FILES['onnx/model.onnx']! }, declare: DEFAULT_FILES, finalize: false });
    const res = await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: enc('{"model_type":"xxxx"}') });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('sha256_mismatch');
    expect(res.body.error.details.expected).toBe(await sha256Hex(DEFAULT_FILES['config.json']!));
    expect((await storedKeys(name, v)).filter((k) => k.endsWith('config.json'))).toEqual([]);
    const fin = await callJson('POST', `${base(name)}/versions/${v}/finalize`);
    expect(fin.status).toBe(409);
    expect(fin.body.error).toMatchObject({ code: 'upload_incomplete', details: { missing: ['config.json'] } });
  });

  it('refuses a size mismatch (400), an over-limit body (413), an undeclared path (404), an unknown version (404), no token (401)', async () => {
    const name = uniqueName();
    const v = await publish(name, { finalize: false });
    const short = await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: enc('{}') });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toMatchObject({ expectedBytes: 21, receivedBytes: 2 });
    const tooBig = await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: new Uint8Array(70000) });
    expect(tooBig.status).toBe(413);
    expect((await callJson('PUT', `${base(name)}/versions/${v}/files/other.json`, { body: enc('x') })).status).toBe(404);
    expect((await callJson('PUT', `${base(name)}/versions/99/files/config.json`, { body: enc('x') })).status).toBe(404);
    expect((await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: DEFAULT_FILES['config.json'], token: null })).status).toBe(401);
    expect((await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: DEFAULT_FILES['config.json'], token: 'x' })).status).toBe(403);
  });

  it('refuses uploads to a ready version (409)', async () => {
    const name = uniqueName();
    const v = await publish(name);
    const res = await callJson('PUT', `${base(name)}/versions/${v}/files/config.json`, { body: DEFAULT_FILES['config.json'] });
    expect(res.status).toBe(409);
  });

  it('streams a multi-chunk body', async () => {
    const name = uniqueName();
    const big = new Uint8Array(60000).map((_, i) => i % 251);
    const v = await publish(name, { files: { 'onnx/model.onnx': big }, finalize: false });
    const fin = await callJson('POST', `${base(name)}/versions/${v}/finalize`);
    expect(fin.status).toBe(201);
    const dl = await call('GET', `${base(name)}/versions/${v}/files/onnx/model.onnx`);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(big);
  });
});

describe('upload races and stored objects', () => {
  const put = (name: string, v: number, path: string, body: Uint8Array) => call('PUT', `${base(name)}/versions/${v}/files/${path}`, { body });

  it('a racing wrong upload never removes the right bytes: 20 right + wrong pairs, every finalized version is whole', async () => {
    const name = uniqueName();
    const right = new Uint8Array(40000).map((_, i) => (i * 7) % 256);
    const wrong = right.slice();
    wrong[wrong.length - 1]! ^= 1;
    const files = { 'config.json': DEFAULT_FILES['config.json']!, 'onnx/model.onnx': right };
    let finalized = 0;
    for (let t = 0; t < 20; t++) {
      const v = await publish(name, { files: { 'config.json': files['config.json'] }, finalize: false, declare: files });
      // Start both at once; alternate which starts first.
      const pair = t % 2 ? [put(name, v, 'onnx/model.onnx', right), put(name, v, 'onnx/model.onnx', wrong)] : [put(name, v, 'onnx/model.onnx', wrong), put(name, v, 'onnx/model.onnx', right)];
      const statuses = (await Promise.all(pair)).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400]);
      const fin = await call('POST', `${base(name)}/versions/${v}/finalize`);
      expect(fin.status).toBe(201);
      finalized++;
      const dl = await call('GET', `${base(name)}/versions/${v}/files/onnx/model.onnx`);
      expect(dl.status).toBe(200);
      expect(await sha256Hex(new Uint8Array(await dl.arrayBuffer()))).toBe(await sha256Hex(right));
    }
    expect(finalized).toBe(20);
  }, 60_000);

  it('finalize checks each object in R2: a missing or altered object is 409 and must be uploaded again', async () => {
    const name = uniqueName();
    const v = await publish(name, { finalize: false });
    const [configKey, onnxKey] = [(await storedKeys(name, v)).find((k) => k.endsWith('config.json'))!, (await storedKeys(name, v)).find((k) => k.endsWith('model.onnx'))!];
    await env.MODELS.delete(configKey);
    // Same size, other bytes, stored with their own (true) checksum.
    const other = DEFAULT_FILES['onnx/model.onnx']!.map((b) => b ^ 1);
    await env.MODELS.put(onnxKey, other, { sha256: await sha256Hex(other) });
    const fin = await callJson('POST', `${base(name)}/versions/${v}/finalize`);
    expect(fin.status).toBe(409);
    expect(fin.body.error.code).toBe('upload_incomplete');
    expect(fin.body.error.details.missing).toEqual(['config.json', 'onnx/model.onnx']);
    expect(fin.body.error.details.problems[0].problem).toMatch(/missing/);
    expect(fin.body.error.details.problems[1].problem).toMatch(/hashes to/);
    // Still refused until the files are uploaded again; then it finalizes.
    expect((await callJson('POST', `${base(name)}/versions/${v}/finalize`)).body.error.details.missing).toEqual(['config.json', 'onnx/model.onnx']);
    for (const [path, bytes] of Object.entries(DEFAULT_FILES)) expect((await put(name, v, path, bytes)).status).toBe(200);
    expect((await call('POST', `${base(name)}/versions/${v}/finalize`)).status).toBe(201);
  });

  it('a cut upload leaves nothing stored and nothing recorded', async () => {
    const name = uniqueName();
    const v = await publish(name, { files: { 'config.json': DEFAULT_FILES['config.json']! }, finalize: false, declare: DEFAULT_FILES });
    const full = DEFAULT_FILES['onnx/model.onnx']!;
    const cut = await call('PUT', `${base(name)}/versions/${v}/files/onnx/model.onnx`, { body: full.slice(0, 4) });
    expect(cut.status).toBe(400);
    expect((await storedKeys(name, v)).filter((k) => k.endsWith('model.onnx'))).toEqual([]);
    expect((await callJson('POST', `${base(name)}/versions/${v}/finalize`)).body.error.details.missing).toEqual(['onnx/model.onnx']);
  });
});

describe('finalize and visibility', () => {
  it('keeps an unfinalized version invisible to readers', async () => {
    const name = uniqueName();
    const v = await publish(name, { finalize: false });
    expect((await call('GET', `${base(name)}/versions/${v}`)).status).toBe(404);
    expect((await callJson('GET', `${base(name)}/versions`)).body).toEqual({ versions: [] });
    expect((await call('GET', base(name))).status).toBe(404);
    expect((await callJson('GET', '/api/v1/models')).body.models.map((m: { name: string }) => m.name)).not.toContain(name);
    expect((await call('GET', `${base(name)}/versions/${v}/files/config.json`)).status).toBe(404);
    expect((await call('GET', `${base(name)}/refs/${v}`)).status).toBe(404);
  });

  it('finalize: 409 upload_incomplete listing missing files, then 201, then 409 again', async () => {
    const name = uniqueName();
    const draft = makeDraft(name, await describeFiles(DEFAULT_FILES));
    await callJson('POST', `${base(name)}/versions`, { body: draft });
    const early = await callJson('POST', `${base(name)}/versions/1/finalize`);
    expect(early.status).toBe(409);
    expect(early.body.error.details.missing).toEqual(['config.json', 'onnx/model.onnx']);
    for (const [path, bytes] of Object.entries(DEFAULT_FILES)) await call('PUT', `${base(name)}/versions/1/files/${path}`, { body: bytes });
    const ok = await callJson('POST', `${base(name)}/versions/1/finalize`);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name, version: 1, status: 'ready' });
    const again = await callJson('POST', `${base(name)}/versions/1/finalize`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await call('POST', `${base(name)}/versions/5/finalize`)).status).toBe(404);
    expect((await call('POST', `${base(name)}/versions/1/finalize`, { token: null })).status).toBe(401);
  });

  it('two concurrent finalizes: exactly one 201 and one 409', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName();
      const v = await publish(name, { finalize: false });
      const results = await Promise.all([1, 2].map(() => call('POST', `${base(name)}/versions/${v}/finalize`)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    }
  });
});

describe('reads', () => {
  it('lists versions newest first, gets a model summary and a manifest', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    await publish(name, { finalize: false });
    const list = await callJson('GET', `${base(name)}/versions`);
    expect(list.body.versions.map((m: { version: number }) => m.version)).toEqual([2, 1]);
    const model = await callJson('GET', base(name));
    expect(model.body).toMatchObject({ name, versionCount: 2, latestVersion: 2, aliases: {} });
    const all = await callJson('GET', '/api/v1/models');
    expect(all.body.models.find((m: { name: string }) => m.name === name)).toMatchObject({ versionCount: 2 });
    const one = await callJson('GET', `${base(name)}/versions/1`);
    expect(one.body).toMatchObject({ name, version: 1, status: 'ready', files: await describeFiles(DEFAULT_FILES) });
    expect((await call('GET', `${base(name)}/versions/0`)).status).toBe(400);
    expect((await call('GET', `${base(name)}/versions/abc`)).status).toBe(400);
    expect((await call('GET', `/api/v1/models/nope-${name}`)).status).toBe(404);
  });

  it('resolves refs by number and by alias', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 } });
    expect((await callJson('GET', `${base(name)}/refs/2`)).body.version).toBe(2);
    expect((await callJson('GET', `${base(name)}/refs/champion`)).body.version).toBe(1);
    const missing = await callJson('GET', `${base(name)}/refs/challenger`);
    expect(missing.status).toBe(404);
    expect((await call('GET', `${base(name)}/refs/Not_A_Ref`)).status).toBe(400);
  });

  it('serves files immutably: ETag = "sha256", If-None-Match → 304, content type by extension', async () => {
    const name = uniqueName();
    const v = await publish(name);
    const res = await call('GET', `${base(name)}/versions/${v}/files/config.json`);
    expect(res.status).toBe(200);
    const sha = await sha256Hex(DEFAULT_FILES['config.json']!);
    expect(res.headers.get('etag')).toBe(`"${sha}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe('{"model_type":"bert"}');
    const onnx = await call('GET', `${base(name)}/versions/${v}/files/onnx/model.onnx`);
    expect(onnx.headers.get('content-type')).toBe('application/octet-stream');
    await onnx.arrayBuffer();
    const cached = await call('GET', `${base(name)}/versions/${v}/files/config.json`, { headers: { 'if-none-match': `"${sha}"` } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(`"${sha}"`);
    const stale = await call('GET', `${base(name)}/versions/${v}/files/config.json`, { headers: { 'if-none-match': '"abc"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    expect((await call('GET', `${base(name)}/versions/${v}/files/nope.json`)).status).toBe(404);
    const head = await call('HEAD', `${base(name)}/versions/${v}/files/config.json`);
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(`"${sha}"`);
  });
});
