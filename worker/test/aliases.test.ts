/** Aliases and archive through HTTP, including concurrent moves and the audit log. */
import { describe, expect, it } from 'vitest';
import { call, callJson, publish, uniqueName } from './helpers.ts';

const base = (name: string) => `/api/v1/models/${name}`;

describe('aliases', () => {
  it('set, get, list, history, delete', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    const set = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1, reason: 'first' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name, alias: 'champion', version: 1 });
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 2, expectedVersion: 1, reason: 'better' } });
    await callJson('PUT', `${base(name)}/aliases/challenger`, { body: { version: 1, expectedVersion: null } });
    expect((await callJson('GET', `${base(name)}/aliases/champion`)).body).toMatchObject({ version: 2 });
    const list = await callJson('GET', `${base(name)}/aliases`);
    expect(list.body.aliases.map((a: { alias: string; version: number }) => [a.alias, a.version])).toEqual([
      ['challenger', 1],
      ['champion', 2],
    ]);
    expect((await callJson('GET', base(name))).body.aliases).toEqual({ champion: 2, challenger: 1 });
    const history = await callJson('GET', `${base(name)}/aliases/champion/history`);
    expect(history.body.events.map((e: { fromVersion: number | null; toVersion: number | null; reason: string | null }) => [e.fromVersion, e.toVersion, e.reason])).toEqual([
      [1, 2, 'better'],
      [null, 1, 'first'],
    ]);
    expect((await call('DELETE', `${base(name)}/aliases/challenger?reason=done`)).status).toBe(204);
    expect((await call('GET', `${base(name)}/aliases/challenger`)).status).toBe(404);
    expect((await call('DELETE', `${base(name)}/aliases/challenger`)).status).toBe(404);
    const after = await callJson('GET', `${base(name)}/aliases/challenger/history`);
    expect(after.body.events[0]).toMatchObject({ fromVersion: 1, toVersion: null, reason: 'done' });
  });

  it('needs the token for writes', async () => {
    const name = uniqueName();
    await publish(name);
    expect((await call('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 }, token: null })).status).toBe(401);
    expect((await call('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 }, token: 'bad' })).status).toBe(403);
    expect((await call('DELETE', `${base(name)}/aliases/champion`, { token: null })).status).toBe(401);
    expect((await call('DELETE', `${base(name)}/aliases/champion`, { token: 'bad' })).status).toBe(403);
  });

  it('refuses missing (404), pending (404) and archived (409) targets, bad bodies and names (400)', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    const pending = await publish(name, { finalize: false });
    expect((await call('PUT', `${base(name)}/aliases/champion`, { body: { version: 9 } })).status).toBe(404);
    expect((await call('PUT', `${base(name)}/aliases/champion`, { body: { version: pending } })).status).toBe(404);
    expect((await call('POST', `${base(name)}/versions/1/archive`)).status).toBe(200);
    const archived = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 } });
    expect(archived.status).toBe(409);
    const bad = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 'two' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await call('PUT', `${base(name)}/aliases/7up`, { body: { version: 2 } })).status).toBe(400);
    expect((await callJson('GET', `${base(name)}/aliases/champion/history`)).body.events).toEqual([]);
  });

  it('optimistic concurrency: expectedVersion mismatch is 409 and changes nothing', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 } });
    const stale = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 2, expectedVersion: 2 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toEqual({ expectedVersion: 2, currentVersion: 1 });
    const notNew = await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 2, expectedVersion: null } });
    expect(notNew.status).toBe(409);
    expect((await callJson('GET', `${base(name)}/aliases/champion`)).body.version).toBe(1);
    expect((await callJson('GET', `${base(name)}/aliases/champion/history`)).body.events).toHaveLength(1);
  });

  it('concurrent sets leave a consistent alias and one audit event per successful set', async () => {
    const name = uniqueName();
    for (let i = 0; i < 4; i++) await publish(name);
    const N = 12;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => call('PUT', `${base(name)}/aliases/champion`, { body: { version: (i % 4) + 1, reason: `set ${i}` } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    const events = (await callJson('GET', `${base(name)}/aliases/champion/history`)).body.events as { fromVersion: number | null; toVersion: number }[];
    expect(events).toHaveLength(N);
    const chronological = [...events].reverse();
    expect(chronological[0]!.fromVersion).toBeNull();
    for (let i = 1; i < N; i++) expect(chronological[i]!.fromVersion).toBe(chronological[i - 1]!.toVersion);
    const current = (await callJson('GET', `${base(name)}/aliases/champion`)).body.version;
    expect(current).toBe(events[0]!.toVersion);
  });

  it('concurrent compare-and-set: exactly one of N wins', async () => {
    const name = uniqueName();
    for (let i = 0; i < 3; i++) await publish(name);
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 } });
    const results = await Promise.all(
      [2, 3, 2, 3, 2, 3].map((version) => call('PUT', `${base(name)}/aliases/champion`, { body: { version, expectedVersion: 1 } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect((await callJson('GET', `${base(name)}/aliases/champion/history`)).body.events).toHaveLength(2);
  });
});

describe('archive', () => {
  it('is refused while an alias points at the version, allowed after the alias moves', async () => {
    const name = uniqueName();
    await publish(name);
    await publish(name);
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 1 } });
    const refused = await callJson('POST', `${base(name)}/versions/1/archive`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toEqual({ aliases: ['champion'] });
    await callJson('PUT', `${base(name)}/aliases/champion`, { body: { version: 2 } });
    const ok = await callJson('POST', `${base(name)}/versions/1/archive`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 1, status: 'archived' });
    expect((await call('POST', `${base(name)}/versions/1/archive`)).status).toBe(200);
    // Archived versions stay readable (pinned clients) but no longer count as ready.
    const versions = (await callJson('GET', `${base(name)}/versions`)).body.versions;
    expect(versions.map((m: { version: number; status: string }) => [m.version, m.status])).toEqual([
      [2, 'ready'],
      [1, 'archived'],
    ]);
    expect((await callJson('GET', base(name))).body).toMatchObject({ versionCount: 1, latestVersion: 2 });
    const file = await call('GET', `${base(name)}/versions/1/files/config.json`);
    expect(file.status).toBe(200);
    await file.arrayBuffer();
  });

  it('404 for unknown or pending versions, 401/403 without the right token', async () => {
    const name = uniqueName();
    const pending = await publish(name, { finalize: false });
    expect((await call('POST', `${base(name)}/versions/${pending}/archive`)).status).toBe(404);
    expect((await call('POST', `${base(name)}/versions/42/archive`)).status).toBe(404);
    expect((await call('POST', `${base(name)}/versions/42/archive`, { token: null })).status).toBe(401);
    expect((await call('POST', `${base(name)}/versions/42/archive`, { token: 'bad' })).status).toBe(403);
  });
});
