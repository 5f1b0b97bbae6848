/** Alias data functions against the local D1: atomic moves, compare-and-set, audit log. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILES, describeFiles, makeDraft, rejectsWith, uniqueName } from '../../test/helpers.ts';
import { aliasHistory, deleteAlias, getAlias, listAliases, setAlias } from './aliases.ts';
import { archiveVersion, createVersion, finalizeVersion } from './versions.ts';
import { listFiles, markFileUploaded } from './version-files.ts';

const db = () => env.DB;

async function model(readyCount: number): Promise<string> {
  const name = uniqueName('a');
  const files = await describeFiles(DEFAULT_FILES);
  for (let i = 0; i < readyCount; i++) {
    const m = await createVersion(db(), makeDraft(name, files));
    for (const f of m.files) await markFileUploaded(db(), name, m.version, f.path, f.sha256);
    await finalizeVersion(db(), name, m.version, new Map((await listFiles(db(), name, m.version)).map((f) => [f.path, f.object_key])));
  }
  return name;
}

describe('setAlias', () => {
  it('creates and moves an alias, logging from → to with the reason', async () => {
    const name = await model(2);
    await setAlias(db(), { name, alias: 'champion', version: 1, reason: 'first' }, '2026-01-01T00:00:00.000Z');
    const moved = await setAlias(db(), { name, alias: 'champion', version: 2, expectedVersion: 1 }, '2026-01-02T00:00:00.000Z');
    expect(moved).toEqual({ name, alias: 'champion', version: 2, updatedAt: '2026-01-02T00:00:00.000Z' });
    expect(await getAlias(db(), name, 'champion')).toEqual(moved);
    const log = await aliasHistory(db(), name, 'champion');
    expect(log.map((e) => [e.fromVersion, e.toVersion, e.reason, e.at])).toEqual([
      [1, 2, null, '2026-01-02T00:00:00.000Z'],
      [null, 1, 'first', '2026-01-01T00:00:00.000Z'],
    ]);
    expect(await aliasHistory(db(), name, 'champion', 1)).toHaveLength(1);
  });

  it('writes nothing when the target is missing, pending, archived or the expectation is stale', async () => {
    const name = await model(3);
    await setAlias(db(), { name, alias: 'champion', version: 1 });
    await createVersion(db(), makeDraft(name, await describeFiles(DEFAULT_FILES))); // version 4, pending
    await archiveVersion(db(), name, 3);
    expect((await rejectsWith(setAlias(db(), { name, alias: 'champion', version: 9 }))).status).toBe(404);
    expect((await rejectsWith(setAlias(db(), { name, alias: 'champion', version: 4 }))).status).toBe(404);
    expect((await rejectsWith(setAlias(db(), { name, alias: 'champion', version: 3 }))).status).toBe(409);
    expect((await rejectsWith(setAlias(db(), { name, alias: 'champion', version: 2, expectedVersion: 2 }))).details).toEqual({ expectedVersion: 2, currentVersion: 1 });
    expect((await rejectsWith(setAlias(db(), { name, alias: 'champion', version: 2, expectedVersion: null }))).status).toBe(409);
    expect((await rejectsWith(setAlias(db(), { name, alias: 'challenger', version: 2, expectedVersion: 1 }))).details).toEqual({ expectedVersion: 1, currentVersion: null });
    expect(await aliasHistory(db(), name, 'champion')).toHaveLength(1);
    expect(await aliasHistory(db(), name, 'challenger')).toHaveLength(0);
    expect((await getAlias(db(), name, 'champion'))?.version).toBe(1);
  });

  it('keeps alias and log consistent under concurrent moves', async () => {
    const name = await model(3);
    const N = 15;
    await Promise.all(Array.from({ length: N }, (_, i) => setAlias(db(), { name, alias: 'champion', version: (i % 3) + 1 })));
    const log = (await aliasHistory(db(), name, 'champion')).reverse();
    expect(log).toHaveLength(N);
    log.forEach((e, i) => expect(e.fromVersion).toBe(i === 0 ? null : log[i - 1]!.toVersion));
    expect((await getAlias(db(), name, 'champion'))?.version).toBe(log.at(-1)!.toVersion);
  });
});

describe('deleteAlias and listAliases', () => {
  it('deletes with a log entry; 404 for a missing alias', async () => {
    const name = await model(1);
    await setAlias(db(), { name, alias: 'champion', version: 1 });
    await setAlias(db(), { name, alias: 'challenger', version: 1 });
    expect((await listAliases(db(), name)).map((a) => a.alias)).toEqual(['challenger', 'champion']);
    await deleteAlias(db(), name, 'challenger', 'cleanup');
    expect(await getAlias(db(), name, 'challenger')).toBeNull();
    expect((await aliasHistory(db(), name, 'challenger'))[0]).toMatchObject({ fromVersion: 1, toVersion: null, reason: 'cleanup' });
    expect((await rejectsWith(deleteAlias(db(), name, 'challenger'))).status).toBe(404);
  });
});
