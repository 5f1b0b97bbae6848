import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { HistoryStore, toApiRecord } from './history-store.ts';
import { row } from '../../test/rows.ts';

describe('HistoryStore', () => {
  it('lists newest first, filters by label and search text', async () => {
    const s = await HistoryStore.open(`h-${crypto.randomUUID()}`);
    await s.add(row({ text: 'I love this', label: 'positive' }));
    await s.add(row({ text: 'I hate this', label: 'negative' }));
    await s.add(row({ text: 'love it again', label: 'positive' }));
    expect((await s.list()).map((r) => r.text)).toEqual(['love it again', 'I hate this', 'I love this']);
    expect((await s.list({ label: 'negative' })).map((r) => r.text)).toEqual(['I hate this']);
    expect((await s.list({ query: 'LOVE' })).map((r) => r.text)).toEqual(['love it again', 'I love this']);
    expect((await s.list({ query: 'love', label: 'negative' })).length).toBe(0);
    expect(await s.labels()).toEqual(['negative', 'positive']);
    expect(await s.list({ limit: 1 })).toHaveLength(1);
  });

  it('survives reopening (the data is in IndexedDB, not memory)', async () => {
    const name = `h-${crypto.randomUUID()}`;
    const a = await HistoryStore.open(name);
    await a.add(row({ text: 'kept' }));
    a.close();
    const b = await HistoryStore.open(name);
    expect((await b.list()).map((r) => r.text)).toEqual(['kept']);
  });

  it('tracks pending and synced rows', async () => {
    const s = await HistoryStore.open(`h-${crypto.randomUUID()}`);
    const [a, b, c] = [row(), row(), row({ syncState: 'synced' })];
    for (const r of [b, c, a]) await s.add(r);
    expect((await s.pending(10)).map((r) => r.id)).toEqual([a.id, b.id]); // oldest first
    expect(await s.counts()).toEqual({ total: 3, pending: 2 });
    await s.markSynced([a.id, 'unknown-id']);
    expect(await s.counts()).toEqual({ total: 3, pending: 1 });
    await s.clear();
    expect(await s.counts()).toEqual({ total: 0, pending: 0 });
  });

  it('sends the API shape without the device-only sync state', () => {
    const r = row();
    const api = toApiRecord(r);
    expect('syncState' in api).toBe(false);
    expect(api.id).toBe(r.id);
    expect(api.source).toBe('browser');
  });
});

describe('HistoryStore search, delete and export', () => {
  it('matches search words at the start of words, never inside them', async () => {
    const s = await HistoryStore.open(`h-${crypto.randomUUID()}`);
    await s.add(row({ text: 'another great film' }));
    await s.add(row({ text: 'not bad at all' }));
    await s.add(row({ text: "Nothing happened, c'est la vie" }));
    const find = async (query: string) => (await s.list({ query })).map((r) => r.text);
    expect(await find('not')).toEqual(["Nothing happened, c'est la vie", 'not bad at all']);
    expect(await find('other')).toEqual([]);
    expect(await find('gre fil')).toEqual(['another great film']);
    expect(await find('film great')).toEqual(['another great film']);
    expect(await find('est')).toEqual(["Nothing happened, c'est la vie"]);
    expect(await find('(')).toEqual([]);
    expect((await find('  ')).length).toBe(3);
  });

  it('deletes one row and lists all rows newest first', async () => {
    const s = await HistoryStore.open(`h-${crypto.randomUUID()}`);
    const [a, b, c] = [row(), row(), row()];
    for (const r of [a, b, c]) await s.add(r);
    await s.delete(b.id);
    expect((await s.all()).map((r) => r.id)).toEqual([c.id, a.id]);
    expect(await s.counts()).toEqual({ total: 2, pending: 2 });
  });
});
