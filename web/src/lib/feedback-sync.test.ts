import 'fake-indexeddb/auto';
import { ApiError, type FeedbackItem, type FeedbackResponse } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import { FeedbackSync } from './feedback-sync.ts';
import { HistoryStore, toApiRecord } from './history-store.ts';
import { row } from '../../test/rows.ts';

/** Keeps one correction per prediction like POST /api/v1/feedback; knows only the predictions in `known`. */
class FakeServer {
  labels = new Map<string, string>();
  known = new Set<string>();
  calls = 0;
  down = false;
  async sendFeedback(items: FeedbackItem[]): Promise<FeedbackResponse> {
    this.calls++;
    if (this.down) throw new ApiError(0, 'network_error', 'cannot reach the server');
    const missing = items.filter((i) => !this.known.has(i.predictionId));
    if (missing.length) throw new ApiError(404, 'not_found', `${missing.length} prediction id(s) are not in the history`);
    if (items.some((i) => i.label === 'neutral')) throw new ApiError(400, 'validation_failed', '"neutral" is not a label');
    let updated = 0;
    for (const i of items) {
      if (this.labels.has(i.predictionId)) updated++;
      this.labels.set(i.predictionId, i.label);
    }
    return { inserted: items.length - updated, updated };
  }
}

async function setup() {
  const store = await HistoryStore.open(`f-${crypto.randomUUID()}`);
  const server = new FakeServer();
  return { store, server, sync: new FeedbackSync(store, server, { batchSize: 2 }) };
}

describe('FeedbackSync', () => {
  it('sends a correction only once its row is synced, and then once', async () => {
    const { store, server, sync } = await setup();
    const r = row({ syncState: 'pending' });
    await store.add(r);
    await store.setFeedback(r.id, 'negative');
    expect(await sync.sync()).toEqual({ sent: 0, rejected: 0 }); // the prediction is not on the server yet
    expect(server.calls).toBe(0);
    await store.markSynced([r.id]);
    server.known.add(r.id);
    expect(await sync.sync()).toEqual({ sent: 1, rejected: 0 });
    expect(server.labels.get(r.id)).toBe('negative');
    expect(await sync.sync()).toEqual({ sent: 0, rejected: 0 });
    expect(server.calls).toBe(1);
    const [stored] = await store.list();
    expect(stored!.feedback).toMatchObject({ label: 'negative', state: 'synced' });
    // The feedback stays on the device: it is not part of the API row.
    expect('feedback' in toApiRecord(stored!)).toBe(false);
  });

  it('keeps corrections pending while offline, and a later pick replaces the earlier', async () => {
    const { store, server, sync } = await setup();
    const r = row({ syncState: 'synced' });
    server.known.add(r.id);
    await store.add(r);
    await store.setFeedback(r.id, 'negative', '2026-01-01T00:00:01.000Z');
    server.down = true;
    await expect(sync.sync()).rejects.toThrow(/cannot reach/);
    expect((await store.pendingFeedback(10)).map((x) => x.id)).toEqual([r.id]);
    await store.setFeedback(r.id, 'positive', '2026-01-01T00:00:02.000Z');
    server.down = false;
    expect(await sync.sync()).toEqual({ sent: 1, rejected: 0 });
    expect(server.labels.get(r.id)).toBe('positive');
  });

  it('a refused correction is kept as rejected and does not block the others', async () => {
    const { store, server, sync } = await setup();
    const rows = [row({ syncState: 'synced' }), row({ syncState: 'synced' }), row({ syncState: 'synced' })];
    for (const r of rows) {
      await store.add(r);
      server.known.add(r.id);
    }
    await store.setFeedback(rows[0]!.id, 'negative', '2026-01-01T00:00:01.000Z');
    await store.setFeedback(rows[1]!.id, 'neutral', '2026-01-01T00:00:02.000Z');
    await store.setFeedback(rows[2]!.id, 'negative', '2026-01-01T00:00:03.000Z');
    expect(await sync.sync()).toEqual({ sent: 2, rejected: 1 });
    expect([...server.labels.keys()].sort()).toEqual([rows[0]!.id, rows[2]!.id].sort());
    const byId = new Map((await store.list()).map((r) => [r.id, r.feedback]));
    expect(byId.get(rows[1]!.id)).toMatchObject({ state: 'rejected', error: expect.stringMatching(/neutral/) });
    expect(await sync.sync()).toEqual({ sent: 0, rejected: 0 });
  });
});
