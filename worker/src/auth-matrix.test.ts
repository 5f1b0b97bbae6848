/**
 * Keys and roles, through the real Worker with its real D1: an authorization matrix generated from the
 * route table (/openapi.json, where every guarded route declares its `x-role` next to its contract) ×
 * callers, the alias rules of a publisher, revocation within KEY_CACHE_MS, expiry, and who-did-it in the
 * audit rows. Runs in its own runtime and storage (the `worker` project): it counts every table's rows.
 */
import { ROLES, roleAtLeast, type CreatedKey, type Role } from '@sentiment-edge/registry';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, callJson, describeFiles, makeDraft, publish, uniqueName, windowsSince } from '../test/helpers.ts';
import { LIMIT_PERIOD_S } from './rate-limit.ts';
import { KEY_CACHE_MS, keyHash, setKeyCacheClock } from './auth.ts';

const MODEL = uniqueName('matrix');
const OTHER = uniqueName('other');

interface Operation {
  method: string;
  path: string;
  role: Role | 'public';
  /** A route about the caller itself (x-any-model): a key limited to other models is served by its role. */
  anyModel: boolean;
}

/** What each caller holds and what it is. */
interface CallerCase {
  label: string;
  token: string | null;
  /** The role it acts with, or why it must be refused everywhere (401 / 403). */
  kind: { role: Role } | { refused: 401 | 403 } | { scopedElsewhere: true };
}

async function createKey(name: string, role: Role, extra: { models?: string[]; expiresInDays?: number } = {}): Promise<CreatedKey> {
  const r = await callJson<CreatedKey>('POST', '/api/v1/keys', { body: { name, role, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/**
 * Every table's row count, and the rows that a refused write could change in place. The metric_* rollups are
 * left out: they count error answers of the serving routes by design (a refusal is one), they hold no data.
 */
async function snapshot(): Promise<string> {
  const { results: tables } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' AND name NOT LIKE 'metric_%' ORDER BY name`).all<{ name: string }>();
  const results = await env.DB.batch([
    ...tables.map(({ name }) => env.DB.prepare(`SELECT '${name}' AS t, COUNT(*) AS n FROM "${name}"`)),
    env.DB.prepare(`SELECT name, alias, version, share FROM aliases ORDER BY name, alias`),
    env.DB.prepare(`SELECT name, version, status FROM versions ORDER BY name, version`),
    env.DB.prepare(`SELECT name, revoked_at, expires_at FROM api_keys ORDER BY name`),
    env.DB.prepare(`SELECT * FROM promotion_policies ORDER BY 1`),
  ]);
  const [aliases, versions, keys, policies] = results.slice(tables.length).map((r) => r.results);
  const counts = results.slice(0, tables.length).map((r) => r.results[0]);
  return JSON.stringify({ counts, aliases, versions, keys, policies });
}

const PARAMS: Record<string, string> = { name: MODEL, version: '1', alias: 'challenger', ref: 'champion', path: 'config.json', keyName: 'no-such-key', id: 'no-such-run' };

function concretePath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, p: string) => {
    const v = PARAMS[p];
    if (v === undefined) throw new Error(`no test value for path parameter {${p}} of ${path}`);
    return encodeURIComponent(v);
  });
}

function request(op: Operation, token: string | null): Promise<Response> {
  const path = concretePath(op.path);
  const body = op.method === 'put' && path.includes('/files/') ? new Uint8Array(0) : op.method === 'post' || op.method === 'put' ? {} : undefined;
  return call(op.method.toUpperCase(), path, { token, ...(body !== undefined ? { body } : {}) });
}

let operations: Operation[] = [];
let callers: CallerCase[] = [];

beforeAll(async () => {
  await publish(MODEL);
  await publish(OTHER);
  expect((await call('PUT', `/api/v1/models/${MODEL}/aliases/champion`, { body: { version: 1 } })).status).toBe(200);

  const doc = await callJson<{ paths: Record<string, Record<string, { 'x-role'?: Role; 'x-any-model'?: boolean; security?: unknown[] }>> }>('GET', '/openapi.json', { token: null });
  for (const [path, methods] of Object.entries(doc.body.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      // A route with a bearer security entry and no declared role would be a route outside the role table.
      if (op.security?.length && path !== '/metrics') expect(op['x-role'], `${method} ${path} declares no x-role`).toBeDefined();
      operations.push({ method, path, role: op['x-role'] ?? 'public', anyModel: op['x-any-model'] === true });
    }
  }
  const keys: Partial<Record<Role, CreatedKey>> = {};
  for (const role of ROLES) keys[role] = await createKey(`${role}-${MODEL}`, role);
  const revoked = await createKey(`revoked-${MODEL}`, 'admin');
  expect((await call('DELETE', `/api/v1/keys/revoked-${MODEL}`)).status).toBe(200);
  const expired = await createKey(`expired-${MODEL}`, 'admin', { expiresInDays: 1 });
  await env.DB.prepare(`UPDATE api_keys SET expires_at = ?2 WHERE name = ?1`).bind(`expired-${MODEL}`, new Date(Date.now() - 1000).toISOString()).run();
  const elsewhere = await createKey(`elsewhere-${MODEL}`, 'admin', { models: [OTHER] });

  callers = [
    { label: 'no key', token: null, kind: { refused: 401 } },
    { label: 'wrong key', token: `se_${'A'.repeat(43)}`, kind: { refused: 401 } },
    { label: 'wrong token', token: 'not-a-valid-token-0123', kind: { refused: 403 } },
    ...ROLES.map((role): CallerCase => ({ label: role, token: keys[role]!.key, kind: { role } })),
    { label: 'REGISTRY_TOKEN', token: env.REGISTRY_TOKEN, kind: { role: 'admin' } },
    { label: 'revoked key', token: revoked.key, kind: { refused: 401 } },
    { label: 'expired key', token: expired.key, kind: { refused: 401 } },
    { label: 'key for another model', token: elsewhere.key, kind: { scopedElsewhere: true } },
  ];
});

afterEach(() => setKeyCacheClock(undefined));

describe('authorization matrix (route table × callers)', () => {
  it('covers every route of /openapi.json, guarded ones with a role', () => {
    expect(operations.length).toBeGreaterThan(25);
    expect(operations.filter((o) => o.role !== 'public').map((o) => o.role)).toEqual(expect.arrayContaining(['reader', 'publisher', 'operator', 'admin']));
  });

  it('each caller gets what its role allows, a 401/403 in the error shape otherwise, and a refusal writes nothing', async () => {
    const table: string[] = [];
    for (const op of operations) {
      const row: string[] = [];
      let anonymous = 0;
      for (const who of callers) {
        const before = await snapshot();
        const res = await request(op, who.token);
        const text = await res.text();
        const where = `${who.label} → ${op.method.toUpperCase()} ${op.path}: ${res.status} ${text.slice(0, 200)}`;
        let expected: 'allowed' | 401 | 403;
        if (op.role === 'public') expected = 'allowed';
        else if ('refused' in who.kind) expected = who.kind.refused;
        else if ('scopedElsewhere' in who.kind) expected = op.anyModel ? 'allowed' : 403; // the key is an admin for OTHER
        else expected = roleAtLeast(who.kind.role, op.role) ? 'allowed' : 403;
        if (who.token === null) anonymous = res.status;
        // Public routes: anonymous stays as it was and a valid key is served like it; a wrong, revoked or expired
        // key or token is either ignored (the same answer as anonymous) or refused as on a guarded route.
        if (op.role === 'public' && !('role' in who.kind) && who.token !== null) {
          const refusal = 'refused' in who.kind ? who.kind.refused : null;
          if (res.status === refusal) {
            expect(JSON.parse(text), where).toMatchObject({ error: { code: refusal === 401 ? 'unauthorized' : 'forbidden' } });
            expect(await snapshot(), `${where}: a refusal wrote to D1`).toBe(before);
          } else expect(res.status, where).toBe(anonymous);
          row.push(String(res.status));
          continue;
        }
        if (expected === 'allowed') {
          expect([401, 403], where).not.toContain(res.status);
          // Allowed: whatever the route answers past the guard (2xx, a validation error, 404, 409, 503 not ready), never a crash.
          expect(res.status, where).not.toBe(500);
          row.push('ok');
        } else {
          expect(res.status, where).toBe(expected);
          expect(JSON.parse(text), where).toMatchObject({ error: { code: expected === 401 ? 'unauthorized' : 'forbidden', message: expect.any(String) } });
          expect(await snapshot(), `${where}: a refusal wrote to D1`).toBe(before);
          row.push(String(res.status));
        }
      }
      table.push(`| ${op.method.toUpperCase()} ${op.path} | ${op.role} | ${row.join(' | ')} |`);
    }
    // The matrix as run, for the README and the closing note.
    console.log([`| route | role | ${callers.map((c) => c.label).join(' | ')} |`, `|---|---|${callers.map(() => '---').join('|')}|`, ...table].join('\n'));
  }, 300_000);
});

describe('keys and roles', () => {
  it('a publisher sets challenger and a canary at share 0, but cannot move champion or a canary above 0', async () => {
    const name = uniqueName('pub');
    await publish(name);
    await publish(name);
    const pub = await createKey(`ci-${name}`, 'publisher', { models: [name] });
    const op = await createKey(`oncall-${name}`, 'operator');
    const before = await snapshot();
    const refused = await callJson('PUT', `/api/v1/models/${name}/aliases/champion`, { token: pub.key, body: { version: 2 } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/canary`, { token: pub.key, body: { version: 2, share: 0.1 } })).status).toBe(403);
    expect((await callJson('DELETE', `/api/v1/models/${name}/aliases/champion`, { token: pub.key })).status).toBe(403);
    expect(await snapshot()).toBe(before);
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/challenger`, { token: pub.key, body: { version: 2 } })).status).toBe(200);
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/canary`, { token: pub.key, body: { version: 2, share: 0 } })).status).toBe(200);
    expect((await callJson('PUT', `/api/v1/models/${name}/aliases/champion`, { token: op.key, body: { version: 2 } })).status).toBe(200);
    const champion = await callJson('GET', `/api/v1/models/${name}/aliases/champion/history`, { token: null });
    expect(champion.body.events[0]).toMatchObject({ toVersion: 2, createdBy: `oncall-${name}`, actor: 'operator' });
    const challenger = await callJson('GET', `/api/v1/models/${name}/aliases/challenger/history`, { token: null });
    expect(challenger.body.events[0]).toMatchObject({ toVersion: 2, createdBy: `ci-${name}` });
  });

  it("a key's name is recorded on the versions it creates and the alias moves it makes; REGISTRY_TOKEN is recorded by name", async () => {
    const name = uniqueName('who');
    const ci = await createKey(`ci-${name}`, 'publisher');
    const created = await callJson('POST', `/api/v1/models/${name}/versions`, {
      token: ci.key,
      body: makeDraft(name, await describeFiles({ 'config.json': new TextEncoder().encode('{}') })),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.manifest.createdBy).toBe(`ci-${name}`);
    await call('PUT', `/api/v1/models/${name}/versions/1/files/config.json`, { token: ci.key, body: new TextEncoder().encode('{}') });
    expect((await call('POST', `/api/v1/models/${name}/versions/1/finalize`, { token: ci.key })).status).toBe(201);
    expect((await callJson('GET', `/api/v1/models/${name}/versions/1`, { token: null })).body.createdBy).toBe(`ci-${name}`);
    expect((await callJson('GET', `/api/v1/models/${name}/versions`, { token: null })).body.versions[0].createdBy).toBe(`ci-${name}`);
    expect((await call('PUT', `/api/v1/models/${name}/aliases/champion`, { body: { version: 1 } })).status).toBe(200);
    const events = await callJson('GET', `/api/v1/models/${name}/aliases/champion/history`, { token: null });
    expect(events.body.events[0].createdBy).toBe('REGISTRY_TOKEN');
    const row = await env.DB.prepare(`SELECT created_by FROM versions WHERE name = ?1 AND version = 1`).bind(name).first<{ created_by: string }>();
    expect(row?.created_by).toBe(`ci-${name}`);
  });

  it("a key's name is recorded on the policy it sets, the rollback it applies, the evaluation it runs and the feedback it exports", async () => {
    const name = uniqueName('audit');
    await publish(name);
    await publish(name);
    const oncall = await createKey(`oncall-${name}`, 'operator', { models: [name] });
    const ci = await createKey(`ci-${name}`, 'publisher', { models: [name] });

    // A policy change: the response, GET and the stored row name the key.
    const set = await callJson('PUT', `/api/v1/models/${name}/policy`, { token: oncall.key, body: { paused: true } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.updatedBy).toBe(`oncall-${name}`);
    expect((await callJson('GET', `/api/v1/models/${name}/policy`, { token: oncall.key })).body.updatedBy).toBe(`oncall-${name}`);
    const policyRow = await env.DB.prepare(`SELECT updated_by FROM promotion_policies WHERE model_name = ?1`).bind(name).first<{ updated_by: string }>();
    expect(policyRow?.updated_by).toBe(`oncall-${name}`);
    // Set again with REGISTRY_TOKEN: the row names the latest setter.
    expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: { paused: false } })).body.updatedBy).toBe('REGISTRY_TOKEN');

    // Decisions applied by hand: a promotion and a rollback (what `pnpm registry rollback` sends) by the on-call key.
    expect((await call('PUT', `/api/v1/models/${name}/aliases/champion`, { token: oncall.key, body: { version: 2, reason: 'promote by hand' } })).status).toBe(200);
    expect((await call('PUT', `/api/v1/models/${name}/aliases/champion`, { token: oncall.key, body: { version: 1, reason: 'registry CLI rollback' } })).status).toBe(200);
    const history = await callJson('GET', `/api/v1/models/${name}/aliases/champion/history`, { token: null });
    expect(history.body.events.slice(0, 2)).toMatchObject([
      { fromVersion: 2, toVersion: 1, reason: 'registry CLI rollback', createdBy: `oncall-${name}` },
      { toVersion: 2, reason: 'promote by hand', createdBy: `oncall-${name}` },
    ]);

    // An evaluation run (numbers recorded by CI's publish step): the run and the list name the key.
    const { dataset: _, ...metrics } = makeDraft(name, []).evaluation;
    const result = { ...metrics, ece: 0.05, dataset: { name: 'gate.csv', sha256: 'c'.repeat(64), rows: 10 } };
    // A key limited to some models names the model in the query (the guard checks it) and may not name another in the body.
    const before = await snapshot();
    const elsewhere = await callJson('POST', `/api/v1/evaluations?model=${name}`, { token: ci.key, body: { model: `${MODEL}@1`, result } });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(403);
    expect(elsewhere.body.error.code).toBe('forbidden');
    expect(await snapshot()).toBe(before);
    const run = await callJson('POST', `/api/v1/evaluations?model=${name}`, { token: ci.key, body: { model: `${name}@2`, result, note: 'gate' } });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    expect(run.body.createdBy).toBe(`ci-${name}`);
    const runs = await callJson('GET', `/api/v1/evaluations?model=${name}`, { token: null });
    expect(runs.body.evaluations.find((e: { id: string }) => e.id === run.body.id)?.createdBy).toBe(`ci-${name}`);

    // A feedback export: one audit row per export, named in X-Export-Id.
    const exported = await call('GET', `/api/v1/feedback/export?model=${name}`, { token: oncall.key });
    expect(exported.status).toBe(200);
    await exported.text();
    const exportRow = await env.DB.prepare(`SELECT id, model_name, rows, created_by FROM feedback_exports WHERE model_name = ?1 ORDER BY id DESC`).bind(name).first<{ id: number; model_name: string; rows: number; created_by: string }>();
    expect(exportRow).toMatchObject({ model_name: name, rows: 0, created_by: `oncall-${name}` });
    expect(exported.headers.get('x-export-id')).toBe(String(exportRow!.id));
  }, 120_000);

  it('a revoked key is refused at once by the isolate that revoked it, and by every other within KEY_CACHE_MS', async () => {
    const reader = await createKey(`dash-${uniqueName('r')}`, 'reader');
    expect((await call('GET', `/api/v1/history?model=${MODEL}`, { token: reader.key })).status).toBe(200);
    // Another isolate's revoke: straight in D1, this isolate's cache still holds the key.
    let now = Date.now();
    setKeyCacheClock(() => now);
    expect((await call('GET', `/api/v1/history?model=${MODEL}`, { token: reader.key })).status).toBe(200);
    await env.DB.prepare(`UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1`).bind(reader.name, new Date(now).toISOString()).run();
    now += KEY_CACHE_MS;
    const refused = await callJson('GET', `/api/v1/history?model=${MODEL}`, { token: reader.key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('revoked');
    expect(KEY_CACHE_MS).toBeLessThanOrEqual(5_000);

    // Through the API: this isolate forgets the key at once.
    setKeyCacheClock(undefined);
    const other = await createKey(`dash-${uniqueName('r')}`, 'reader');
    expect((await call('GET', `/api/v1/history?model=${MODEL}`, { token: other.key })).status).toBe(200);
    expect((await callJson('DELETE', `/api/v1/keys/${other.name}`)).body.revokedAt).toEqual(expect.any(String));
    expect((await call('GET', `/api/v1/history?model=${MODEL}`, { token: other.key })).status).toBe(401);
  });

  it('stores only the SHA-256 of a key, shows the key once, and lists keys without it', async () => {
    const k = await createKey(`list-${uniqueName('k')}`, 'operator', { models: [MODEL], expiresInDays: 90 });
    expect(k.key).toMatch(/^se_[A-Za-z0-9_-]{43}$/);
    expect(k).toMatchObject({ role: 'operator', models: [MODEL], createdBy: 'REGISTRY_TOKEN', revokedAt: null, lastUsedAt: null });
    expect(Date.parse(k.expiresAt!) - Date.parse(k.createdAt)).toBe(90 * 86_400_000);
    const stored = await env.DB.prepare(`SELECT key_hash FROM api_keys WHERE name = ?1`).bind(k.name).first<{ key_hash: string }>();
    expect(stored?.key_hash).toBe(await keyHash(k.key));
    const listed = await callJson('GET', '/api/v1/keys');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(k.key);
    expect(JSON.stringify(listed.body)).not.toContain(stored!.key_hash);
    // Used on its model: last use recorded; on another model: 403.
    expect((await call('GET', `/api/v1/models/${MODEL}/policy`, { token: k.key })).status).not.toBe(403);
    expect((await call('GET', `/api/v1/models/${OTHER}/policy`, { token: k.key })).status).toBe(403);
    const after = (await callJson<{ keys: { name: string; lastUsedAt: string | null }[] }>('GET', '/api/v1/keys')).body.keys.find((x) => x.name === k.name);
    expect(after?.lastUsedAt).toEqual(expect.any(String));
    // A taken name is 409; a non-admin cannot list keys.
    expect((await callJson('POST', '/api/v1/keys', { body: { name: k.name, role: 'reader' } })).status).toBe(409);
    expect((await callJson('GET', '/api/v1/keys', { token: k.key })).status).toBe(403);
  });

  it('GET /api/v1/keys/me says what the caller holds (any valid key or token, whatever its models), never the key or its hash', async () => {
    const dash = await createKey(`dash-${uniqueName('me')}`, 'reader', { models: [OTHER], expiresInDays: 30 });
    const me = await callJson('GET', '/api/v1/keys/me', { token: dash.key });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ name: dash.name, kind: 'api-key', role: 'reader', models: [OTHER], expiresAt: dash.expiresAt });
    const hash = await keyHash(dash.key);
    expect(JSON.stringify(me.body)).not.toContain(dash.key);
    expect(JSON.stringify(me.body)).not.toContain(hash);
    expect((await callJson('GET', '/api/v1/keys/me')).body).toEqual({ name: 'REGISTRY_TOKEN', kind: 'secret', role: 'admin', models: null, expiresAt: null });
    if (env.READ_TOKEN) expect((await callJson('GET', '/api/v1/keys/me', { token: env.READ_TOKEN })).body).toMatchObject({ name: 'READ_TOKEN', role: 'reader' });
    expect((await call('DELETE', `/api/v1/keys/${dash.name}`)).status).toBe(200);
    expect((await callJson('GET', '/api/v1/keys/me', { token: dash.key })).status).toBe(401);
    expect((await callJson('GET', '/api/v1/keys/me', { token: null })).status).toBe(401);
  });

  it('limits attempts with one refused key across addresses (429 in the error shape), as wrong tokens are limited per address', async () => {
    const gone = await createKey(`leaked-${uniqueName('k')}`, 'reader');
    expect((await call('DELETE', `/api/v1/keys/${gone.name}`)).status).toBe(200);
    // A new address each time: the per-address limit never applies, the key's own does (20 per 60 s window;
    // a run may cross a window's end, so the 429 comes after at least 20 and at most two windows' worth).
    let refused = 0;
    const start = Date.now();
    for (; refused < 100; refused++) {
      const r = await callJson('GET', `/api/v1/history?model=${MODEL}`, { token: gone.key, headers: { 'cf-connecting-ip': `198.51.100.${refused + 1}` } });
      if (r.status === 429) {
        expect(r.body.error).toMatchObject({ code: 'rate_limited', details: { limiter: 'AUTH_LIMITER' } });
        break;
      }
      expect(r.status).toBe(401);
    }
    expect(refused).toBeGreaterThanOrEqual(20);
    expect(refused, 'at most 20 per fixed window touched').toBeLessThanOrEqual(20 * windowsSince(start, LIMIT_PERIOD_S.AUTH_LIMITER));
  });
});
