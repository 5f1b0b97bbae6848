import 'fake-indexeddb/auto';
import { ApiError, type HistoryRecord, type HistorySyncResponse } from '@sentiment-edge/registry';
import { describe, expect, it, vi } from 'vitest';
import { row } from '../../test/rows.ts';
import { HistoryStore } from './history-store.ts';
import { backoffMs, HistorySync, SyncRetry } from './sync.ts';

/** A server that stores rows by id (idempotent, like POST /api/v1/history) and can be made to fail. */
class FakeServer {
  rows = new Map<string, HistoryRecord>();
  calls = 0;
  failNext: 'before' | 'after' | null = null;
  /** Rows the server refuses as invalid: a batch holding one is refused whole (400), as the Worker does. */
  invalid = new Set<string>();
  async syncHistory(items: HistoryRecord[]): Promise<HistorySyncResponse> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 5));
    if (items.some((it) => this.invalid.has(it.id))) throw new ApiError(400, 'validation_failed', 'invalid history batch: createdAt is in the future');
    if (this.failNext === 'before') {
      this.failNext = null;
      throw new Error('network down');
    }
    let inserted = 0;
    for (const it of items) if (!this.rows.has(it.id)) (this.rows.set(it.id, it), inserted++);
    if (this.failNext === 'after') {
      this.failNext = null;
      throw new Error('response lost'); // stored, but the client never heard back
    }
    return { inserted, duplicates: items.length - inserted };
  }
}

async function setup(rows = 3) {
  const store = await HistoryStore.open(`s-${crypto.randomUUID()}`);
  for (let i = 0; i < rows; i++) await store.add(row());
  const server = new FakeServer();
  return { store, server, sync: new HistorySync(store, server, { locks: null, batchSize: 2 }) };
}

describe('HistorySync', () => {
  it('sends every pending row once, in batches, and marks them synced', async () => {
    const { store, server, sync } = await setup(5);
    expect(await sync.sync()).toEqual({ sent: 5, inserted: 5, duplicates: 0, rejected: 0 });
    expect(server.calls).toBe(3); // 2 + 2 + 1
    expect(await store.counts()).toEqual({ total: 5, pending: 0 });
    expect(await sync.sync()).toEqual({ sent: 0, inserted: 0, duplicates: 0, rejected: 0 });
    expect(server.calls).toBe(3);
    expect([...server.rows.values()].every((r) => !('syncState' in r) && r.source === 'browser')).toBe(true);
  });

  it('joins a sync already running instead of sending twice', async () => {
    const { server, sync } = await setup(2);
    const [a, b] = await Promise.all([sync.sync(), sync.sync()]);
    expect(a).toBe(b);
    expect(server.calls).toBe(1);
    expect(server.rows.size).toBe(2);
  });

  it('keeps rows pending when the server is unreachable and sends them later', async () => {
    const { store, server, sync } = await setup(2);
    server.failNext = 'before';
    await expect(sync.sync()).rejects.toThrow('network down');
    expect((await store.counts()).pending).toBe(2);
    await sync.sync();
    expect(server.rows.size).toBe(2);
    expect((await store.counts()).pending).toBe(0);
  });

  it('a lost acknowledgement is retried and the server keeps one copy (ids are the idempotency key)', async () => {
    const { store, server, sync } = await setup(2);
    server.failNext = 'after';
    await expect(sync.sync()).rejects.toThrow('response lost');
    expect(server.rows.size).toBe(2);
    expect((await store.counts()).pending).toBe(2);
    expect(await sync.sync()).toEqual({ sent: 2, inserted: 0, duplicates: 2, rejected: 0 });
    expect(server.rows.size).toBe(2);
    expect((await store.counts()).pending).toBe(0);
  });

  it('uses a Web Lock when one is available (one sync across tabs)', async () => {
    const { server, store } = await setup(1);
    const names: string[] = [];
    const locks = { request: <T>(name: string, cb: () => Promise<T>) => (names.push(name), cb()) };
    await new HistorySync(store, server, { locks }).sync();
    expect(names).toEqual(['sentiment-edge-history-sync']);
  });

  it('a row the server refuses never blocks the others: it is kept on the device as rejected, and not sent again', async () => {
    const { store, server, sync } = await setup(0);
    const rows = [row(), row(), row(), row()];
    for (const r of rows) await store.add(r);
    server.invalid.add(rows[1]!.id);
    expect(await sync.sync()).toEqual({ sent: 3, inserted: 3, duplicates: 0, rejected: 1 });
    expect([...server.rows.keys()].sort()).toEqual([rows[0]!.id, rows[2]!.id, rows[3]!.id].sort());
    expect(await store.counts()).toEqual({ total: 4, pending: 0 });
    const kept = (await store.list()).find((r) => r.id === rows[1]!.id);
    expect(kept).toMatchObject({ syncState: 'rejected', syncError: expect.stringMatching(/future/) });
    const calls = server.calls;
    expect(await sync.sync()).toEqual({ sent: 0, inserted: 0, duplicates: 0, rejected: 0 });
    expect(server.calls).toBe(calls);
  });
});

describe('SyncRetry', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 0.5))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffMs(20, () => 0.5)).toBe(300_000);
    expect(backoffMs(0, () => 0)).toBe(1600);
    expect(backoffMs(0, () => 1)).toBe(2400);
  });

  it('syncs pending rows by itself once the server answers again, without a click', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { store, server, sync } = await setup(3);
      let down = true;
      const client = { syncHistory: (items: HistoryRecord[]) => (down ? Promise.reject(new ApiError(0, 'network_error', 'cannot reach the server')) : server.syncHistory(items)) };
      const s = new HistorySync(store, client, { locks: null });
      const attempts: number[] = [];
      let ok = 0;
      const retry: SyncRetry = new SyncRetry(
        async () => {
          attempts.push(Date.now());
          try {
            await s.sync();
            retry.succeeded();
            ok++;
          } catch {
            retry.failed();
          }
        },
        { random: () => 0.5, isOnline: () => true },
      );
      void sync; // the default HistorySync of setup() is not used here
      await expect(s.sync()).rejects.toThrow();
      retry.failed();
      expect(retry.nextDelayMs).toBe(2000);
      const t0 = Date.now();
      await vi.advanceTimersByTimeAsync(2000); // first retry: still down
      expect(retry.nextDelayMs).toBe(4000);
      down = false;
      await vi.advanceTimersByTimeAsync(3999);
      expect((await store.counts()).pending).toBe(3);
      await vi.advanceTimersByTimeAsync(1);
      for (let i = 0; i < 20 && ok === 0; i++) await vi.advanceTimersByTimeAsync(10); // the fake server answers after 5 ms
      expect(ok).toBe(1);
      expect(attempts.map((t) => t - t0)).toEqual([2000, 6000]);
      expect((await store.counts()).pending).toBe(0);
      expect(server.rows.size).toBe(3);
      expect(retry.pending).toBe(false);
      // After a success the backoff starts again from the shortest delay.
      retry.failed();
      expect(retry.nextDelayMs).toBe(2000);
      retry.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not schedule retries while offline', () => {
    let runs = 0;
    const retry = new SyncRetry(() => runs++, { isOnline: () => false });
    retry.failed();
    expect(retry.pending).toBe(false);
    expect(runs).toBe(0);
  });
});
