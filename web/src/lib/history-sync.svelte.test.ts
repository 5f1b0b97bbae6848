import 'fake-indexeddb/auto';
import type { FeedbackItem, HistoryRecord } from '@sentiment-edge/registry';
import { describe, expect, it, vi } from 'vitest';
import { HistoryModel, type SettledPrediction } from './history-sync.svelte.ts';

/** A server that stores history rows and corrections; `down` makes it unreachable. */
class FakeServer {
  rows = new Map<string, HistoryRecord>();
  feedback: FeedbackItem[] = [];
  down = false;
  async syncHistory(items: HistoryRecord[]) {
    if (this.down) throw new Error('network down');
    let inserted = 0;
    for (const it of items) if (!this.rows.has(it.id)) (this.rows.set(it.id, it), inserted++);
    return { inserted, duplicates: items.length - inserted };
  }
  async sendFeedback(items: FeedbackItem[]) {
    if (this.down) throw new Error('network down');
    this.feedback.push(...items);
    return { accepted: items.length };
  }
}

const answer = (over: Partial<SettledPrediction> = {}): SettledPrediction => ({
  label: 'positive',
  score: 0.9,
  probabilities: { negative: 0.1, positive: 0.9 },
  model: { name: 'sentiment', version: 2 },
  latencyMs: 1.23456,
  via: 'wasm',
  tokenStats: { tokens: 3, unknownShare: 0 },
  ...over,
});

async function open(opts: { online?: () => boolean; storage?: Pick<StorageManager, 'persist' | 'persisted'> } = {}) {
  const server = new FakeServer();
  const h = new HistoryModel(server as never, { isOnline: opts.online ?? (() => true), storage: opts.storage });
  await h.open(`h-${crypto.randomUUID()}`);
  return { h, server };
}

describe('HistoryModel', () => {
  it('records a browser answer as pending and syncs it once', async () => {
    const { h, server } = await open();
    const id = await h.record('I love it', answer());
    await h.syncNow();
    expect(server.rows.size).toBe(1);
    expect(server.rows.get(id!)).toMatchObject({ label: 'positive', source: 'browser', latencyMs: 1.235, tokens: 3, unknownShare: 0 });
    expect(h.counts).toEqual({ total: 1, pending: 0 });
    expect(h.rows.map((r) => r.text)).toEqual(['I love it']);
    expect(h.syncMessage).toBe('Synced 1 prediction to the server.');
  });

  it("stores a server answer under the server's id, already synced", async () => {
    const { h, server } = await open();
    const id = await h.record('meh', answer({ via: 'server', serverId: 'srv-9' }));
    await h.syncNow();
    expect(id).toBe('srv-9');
    expect(h.rows[0]).toMatchObject({ id: 'srv-9', source: 'edge', syncState: 'synced' });
    expect(server.rows.size).toBe(0);
  });

  it('a batch keeps its input order (newest first) and rows the server answered are not sent again', async () => {
    const { h, server } = await open();
    const p = answer();
    expect(await h.recordMany(['a', 'b', 'c'], [p, p, p], 'server', { name: 'sentiment', version: 2 }, 30)).toBe(3);
    await h.syncNow();
    expect(h.rows.map((r) => r.text)).toEqual(['c', 'b', 'a']);
    expect(h.rows.every((r) => r.latencyMs === 10 && r.syncState === 'synced')).toBe(true);
    expect(server.rows.size).toBe(0);
  });

  it('a sync that cannot reach the server says so and retries; clearing the history ends both', async () => {
    const { h, server } = await open();
    server.down = true;
    await h.record('x', answer());
    await h.syncNow();
    expect(h.syncMessage).toBe('Your predictions are saved on this device and will be sent when the server can be reached (the server cannot be reached). Trying again automatically.');
    expect(h.retryPending).toBe(true);
    expect(h.counts.pending).toBe(1);
    await h.clear();
    expect(h.syncMessage).toBeNull();
    expect(h.retryPending).toBe(false);
    expect(h.counts).toEqual({ total: 0, pending: 0 });
  });

  it('offline: nothing is sent', async () => {
    const { h, server } = await open({ online: () => false });
    await h.record('x', answer());
    await h.syncNow();
    expect(server.rows.size).toBe(0);
    expect(h.counts.pending).toBe(1);
  });

  it('a correction is sent after its row; delete and undo put the row back as it was', async () => {
    const { h, server } = await open();
    const id = (await h.record('not good', answer()))!;
    await h.syncNow();
    await h.correct(id, 'negative');
    await h.syncNow();
    expect(server.feedback).toEqual([{ predictionId: id, label: 'negative' }]);
    const row = await h.deleteRecord(id);
    expect(h.rows).toEqual([]);
    await h.restoreRecord(row!);
    expect(h.rows).toEqual([row]);
    expect((await h.all()).map((r) => r.id)).toEqual([id]);
    await h.refresh({ label: 'positive' });
    expect(h.rows.map((r) => r.id)).toEqual([id]);
    await h.refresh({ label: 'neutral' });
    expect(h.rows).toEqual([]);
  });

  it('asks once to keep the storage, after the first saved prediction', async () => {
    let asked = 0;
    const { h } = await open({ storage: { persisted: async () => false, persist: async () => (asked++, true) } });
    await h.record('a', answer());
    await h.record('b', answer());
    await vi.waitFor(() => expect(h.persisted).toBe(true));
    expect(asked).toBe(1);
  });
});
