/** The canary alias through HTTP: its share (validation, compare-and-set, audit log) and getCanary. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { getCanary } from '../src/db/aliases.ts';
import { call, callJson, publish, uniqueName } from './helpers.ts';

const canary = (name: string) => `/api/v1/models/${name}/aliases/canary`;

async function model(): Promise<string> {
  const name = uniqueName('canary');
  await publish(name);
  await publish(name);
  expect((await call('PUT', `/api/v1/models/${name}/aliases/champion`, { body: { version: 1 } })).status).toBe(200);
  return name;
}

describe('canary alias', () => {
  it('PUT {version, share} sets it, getCanary reads it, the history records each share, DELETE ends it', async () => {
    const name = await model();
    expect(await getCanary(env.DB, name)).toBeNull();
    const set = await callJson('PUT', canary(name), { body: { version: 2, share: 0.1, reason: 'start canary' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name, alias: 'canary', version: 2, share: 0.1 });
    expect(await getCanary(env.DB, name)).toEqual({ version: 2, share: 0.1 });
    expect((await callJson('PUT', canary(name), { body: { version: 2, share: 0.5, expectedVersion: 2, expectedShare: 0.1 } })).status).toBe(200);
    expect((await callJson('GET', canary(name))).body).toMatchObject({ version: 2, share: 0.5 });
    // Other aliases carry no share field.
    const list = (await callJson('GET', `/api/v1/models/${name}/aliases`)).body.aliases;
    expect(list.find((a: any) => a.alias === 'champion')).not.toHaveProperty('share');
    expect((await call('DELETE', `${canary(name)}?reason=enough`)).status).toBe(204);
    expect(await getCanary(env.DB, name)).toBeNull();
    const { events } = (await callJson('GET', `${canary(name)}/history`)).body;
    expect(events.map((e: any) => [e.fromVersion, e.toVersion, e.share ?? null, e.reason])).toEqual([
      [2, null, null, 'enough'],
      [2, 2, 0.5, null],
      [null, 2, 0.1, 'start canary'],
    ]);
  });

  it('refuses a missing or out-of-range share on the canary, and a share on other aliases (400, saying what to send)', async () => {
    const name = await model();
    const cases: [string, unknown, RegExp][] = [
      [canary(name), { version: 2 }, /needs a share: send \{"version": N, "share": 0.1\}/],
      [canary(name), { version: 2, share: 1.5 }, /share must be a number from 0 to 1/],
      [canary(name), { version: 2, share: -0.01 }, /share must be a number from 0 to 1/],
      [canary(name), { version: 2, share: '0.5' }, /share/],
      [canary(name), { version: 2, share: 0.2, expectedShare: 0.1 }, /expectedShare only works together with expectedVersion/],
      [`/api/v1/models/${name}/aliases/challenger`, { version: 2, share: 0.2 }, /only the "canary" alias carries a share/],
    ];
    for (const [path, body, message] of cases) {
      const res = await callJson('PUT', path, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect(await getCanary(env.DB, name)).toBeNull();
    expect((await callJson('GET', `${canary(name)}/history`)).body.events).toEqual([]);
    // Token-protected like every alias move.
    expect((await call('PUT', canary(name), { body: { version: 2, share: 0.1 }, token: null })).status).toBe(401);
    expect((await call('DELETE', canary(name), { token: null })).status).toBe(401);
  });

  it('compare-and-set on version and share: of two concurrent moves from the same state, exactly one wins', async () => {
    const name = await model();
    expect((await call('PUT', canary(name), { body: { version: 2, share: 0.1, expectedVersion: null } })).status).toBe(200);
    // A second "create" loses: the canary exists.
    const again = await callJson('PUT', canary(name), { body: { version: 2, share: 0.2, expectedVersion: null } });
    expect(again.status).toBe(409);
    // Two ramps from share 0.1 at once: one 200, one 409 naming the current share.
    const [a, b] = await Promise.all([
      callJson('PUT', canary(name), { body: { version: 2, share: 0.25, expectedVersion: 2, expectedShare: 0.1, reason: 'policy' } }),
      callJson('PUT', canary(name), { body: { version: 2, share: 0, expectedVersion: 2, expectedShare: 0.1, reason: 'manual' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const lost = a.status === 409 ? a : b;
    const won = a.status === 200 ? a : b;
    expect(lost.body.error.details).toMatchObject({ expectedShare: 0.1, currentShare: won.body.share });
    expect((await getCanary(env.DB, name))!.share).toBe(won.body.share);
    // The log holds exactly the moves that happened.
    const { events } = (await callJson('GET', `${canary(name)}/history`)).body;
    expect(events.map((e: any) => e.share)).toEqual([won.body.share, 0.1]);
    // Version CAS still applies to the canary.
    const stale = await callJson('PUT', canary(name), { body: { version: 1, share: 0.3, expectedVersion: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
  });
});
