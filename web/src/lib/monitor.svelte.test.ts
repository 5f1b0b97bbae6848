import { ApiError, type AliasEvent, type AliasRecord } from '@sentiment-edge/registry';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../../test/memory-storage.ts';
import { loadMonitorCopy, READ_TOKEN_KEY, saveMonitorCopy } from './monitor-figures.ts';
import { DECISIONS_PROBLEM, MonitorModel, OFFLINE_WORDS, PUBLIC_PROBLEM, TOKEN_REFUSED, type MonitorPublicClient, type MonitorReader } from './monitor.svelte.ts';

const at = '2026-12-01T10:00:00Z';
const alias = (a: string, version: number, share?: number): AliasRecord => ({ name: 'sentiment', alias: a, version, updatedAt: at, ...(share !== undefined ? { share } : {}) });
const event = (id: number, a: string, from: number | null, to: number): AliasEvent => ({ id, name: 'sentiment', alias: a, fromVersion: from, toVersion: to, at, reason: null, actor: null });

/** The public reads of a server whose champion is v1 and canary v2 (25 %); `fail` makes every read fail. */
function publicClient(fail?: Error): MonitorPublicClient & { calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(what: string, v: T) => {
    calls.push(what);
    return fail ? Promise.reject(fail) : Promise.resolve(v);
  };
  return {
    calls,
    listEvaluations: () => answer('evaluations', { evaluations: [] }),
    listAliases: () => answer('aliases', { model: 'sentiment', aliases: [alias('champion', 1), alias('canary', 2, 0.25)] }),
    aliasHistory: (_name: string, a: string) => answer(`history ${a}`, { events: a === 'champion' ? [event(1, 'champion', null, 1)] : a === 'canary' ? [event(2, 'canary', null, 2)] : [] }),
  } as unknown as MonitorPublicClient & { calls: string[] };
}

/** The token-gated reads: no drift report yet, no feedback, no policy (404), no decisions, no A/B readout. */
function reader(over: Partial<Record<keyof MonitorReader, () => Promise<unknown>>> = {}): MonitorReader {
  return {
    drift: () => Promise.resolve({ model: 'sentiment', reports: [], alerts: [] }),
    realisedAccuracy: () => Promise.resolve({ rows: [] }),
    getPolicy: () => Promise.reject(new ApiError(404, 'not_found', 'no policy')),
    listDecisions: () => Promise.resolve({ model: 'sentiment', decisions: [] }),
    ab: () => Promise.reject(new ApiError(500, 'internal', 'boom')),
    ...over,
  } as unknown as MonitorReader;
}

const query = { model: 'sentiment', aliases: { champion: 1, canary: 2 }, champion: () => 1 };

describe('MonitorModel', () => {
  it('reads the public figures without a token, keeps them on the device, and asks nothing that needs the token', async () => {
    const storage = new MemoryStorage();
    const client = publicClient();
    const makeReader = vi.fn(() => reader());
    const m = new MonitorModel({ client, reader: makeReader, storage });
    expect(m.token).toBe('');
    expect(m.copy).toBeNull();
    await m.refresh(query, '');
    expect(m.status.live).toBe(true);
    expect(m.status.problem).toBeNull();
    expect(m.copy?.model).toBe('sentiment');
    expect(m.copy?.canary).toEqual({ version: 2, share: 0.25, champion: 1 });
    expect(m.copy?.timeline.map((e) => e.text)).toEqual(['canary set to v2', 'champion set to v1']);
    expect(m.copy?.drift).toBeUndefined();
    expect(client.calls.sort()).toEqual(['aliases', 'evaluations', 'history canary', 'history challenger', 'history champion']);
    expect(makeReader).not.toHaveBeenCalled();
    expect(loadMonitorCopy(storage)).toEqual(m.copy);
  });

  it('offline: says so and keeps showing the copy kept on the device', async () => {
    const storage = new MemoryStorage();
    const kept = { at, model: 'sentiment', evaluations: [], timeline: [] };
    saveMonitorCopy(kept, storage);
    const m = new MonitorModel({ client: publicClient(new ApiError(0, 'network_error', 'fetch failed')), reader: () => reader(), storage });
    expect(m.copy).toEqual(kept);
    await m.refresh(query, '');
    expect(m.status.problem).toBe(OFFLINE_WORDS);
    expect(m.status.live).toBe(false);
    expect(m.copy).toEqual(kept);
    const other = new MonitorModel({ client: publicClient(new ApiError(500, 'internal', 'boom')), reader: () => reader(), storage });
    await other.refresh(query, '');
    expect(other.status.problem).toBe(PUBLIC_PROBLEM);
  });

  it('with the token: drift, decisions (no policy set) and no A/B readout when it fails', async () => {
    const storage = new MemoryStorage();
    const tokens: string[] = [];
    const m = new MonitorModel({ client: publicClient(), reader: (t) => (tokens.push(t), reader()), storage });
    m.saveToken('  secret  ');
    expect(m.token).toBe('secret');
    expect(storage.getItem(READ_TOKEN_KEY)).toBe('secret');
    await m.refresh(query, m.token);
    expect(tokens).toEqual(['secret']);
    expect(m.status.driftLive).toBe(true);
    expect(m.status.driftProblem).toBeNull();
    expect(m.copy?.drift?.figures).toBeNull();
    expect(m.status.decisionsLive).toBe(true);
    expect(m.status.decisionsProblem).toBeNull();
    expect(m.copy?.decisions?.policy).toBe('none');
    expect(m.copy?.decisions?.rows).toEqual([]);
    expect(m.status.ab).toBeNull();
    expect(loadMonitorCopy(storage)?.decisions?.policy).toBe('none');
    // A new model on the same device starts from the kept token and copy.
    const again = new MonitorModel({ client: publicClient(), reader: () => reader(), storage });
    expect(again.token).toBe('secret');
    expect(again.copy?.drift).toBeDefined();
  });

  it('a refused token and failed decisions are said, each on its own', async () => {
    const refused = new MonitorModel({ client: publicClient(), reader: () => reader({ drift: () => Promise.reject(new ApiError(401, 'unauthorized', 'bad token')) }), storage: new MemoryStorage() });
    await refused.refresh(query, 'wrong');
    expect(refused.status.driftProblem).toBe(TOKEN_REFUSED);
    expect(refused.status.driftLive).toBe(false);
    expect(refused.status.live).toBe(true); // the public figures still came
    const noDecisions = new MonitorModel({ client: publicClient(), reader: () => reader({ listDecisions: () => Promise.reject(new Error('down')) }), storage: new MemoryStorage() });
    await noDecisions.refresh(query, 'secret');
    expect(noDecisions.status.decisionsProblem).toBe(DECISIONS_PROBLEM);
    expect(noDecisions.status.decisionsLive).toBe(false);
    expect(noDecisions.status.driftLive).toBe(true);
    expect(noDecisions.copy?.drift).toBeDefined();
  });

  it('a cancelled refresh changes nothing', async () => {
    const storage = new MemoryStorage();
    const m = new MonitorModel({ client: publicClient(), reader: () => reader(), storage });
    let current = true;
    const run = m.refresh(query, 'secret', () => current);
    current = false;
    await run;
    expect(m.status.live).toBe(false);
    expect(m.status.driftLive).toBe(false);
    expect(m.copy).toBeNull();
    expect(loadMonitorCopy(storage)).toBeNull();
  });

  it('forgetting the token drops it and every figure read with it, here and in the kept copy', async () => {
    const storage = new MemoryStorage();
    const m = new MonitorModel({ client: publicClient(), reader: () => reader(), storage });
    m.saveToken('secret');
    await m.refresh(query, m.token);
    m.forgetToken();
    expect(m.token).toBe('');
    expect(storage.getItem(READ_TOKEN_KEY)).toBeNull();
    expect([m.status.driftLive, m.status.decisionsLive, m.status.driftProblem, m.status.decisionsProblem, m.status.ab]).toEqual([false, false, null, null, null]);
    expect(m.copy?.drift).toBeUndefined();
    expect(m.copy?.decisions).toBeUndefined();
    expect(m.copy?.model).toBe('sentiment');
    expect(loadMonitorCopy(storage)?.drift).toBeUndefined();
  });
});
