/**
 * Sends pending history rows to the Worker's POST /api/v1/history exactly once per row: rows carry
 * client-made UUIDs (the server's idempotency key), are marked synced only after the server
 * acknowledged them, and only one sync runs at a time (per tab: a shared promise; across tabs: a Web Lock).
 * A batch the server refuses as invalid (400) is sent again row by row, so one bad row (a device clock
 * far ahead, say) never blocks the others: the rows refused alone are kept on the device as 'rejected'.
 */
import { ApiError, MAX_HISTORY_BATCH, type RegistryClient } from '@sentiment-edge/registry';
import { toApiRecord, type HistoryStore, type LocalHistoryRecord } from './history-store.ts';

export interface SyncResult {
  sent: number;
  inserted: number;
  duplicates: number;
  /** Rows the server refused one by one (400): kept on the device as 'rejected', not sent again. */
  rejected: number;
}

interface LockManagerLike {
  request<T>(name: string, cb: () => Promise<T>): Promise<T>;
}

export class HistorySync {
  #running: Promise<SyncResult> | null = null;

  constructor(
    private readonly store: HistoryStore,
    private readonly client: Pick<RegistryClient, 'syncHistory'>,
    private readonly opts: { batchSize?: number; locks?: LockManagerLike | null } = {},
  ) {}

  /** Runs a sync, or joins the one already running. Rejects when the server cannot be reached; rows stay pending. */
  sync(): Promise<SyncResult> {
    if (!this.#running) {
      const locks = this.opts.locks === undefined ? ((globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks ?? null) : this.opts.locks;
      const run = () => this.#drain();
      this.#running = (locks ? locks.request('sentiment-edge-history-sync', run) : run()).finally(() => {
        this.#running = null;
      });
    }
    return this.#running;
  }

  async #drain(): Promise<SyncResult> {
    const batch = Math.min(this.opts.batchSize ?? MAX_HISTORY_BATCH, MAX_HISTORY_BATCH);
    const total: SyncResult = { sent: 0, inserted: 0, duplicates: 0, rejected: 0 };
    for (;;) {
      const rows = await this.store.pending(batch);
      if (rows.length === 0) return total;
      try {
        await this.#send(rows, total);
      } catch (e) {
        if (!refused(e) || rows.length === 1) throw e;
        // Something in the batch is invalid: find it row by row.
        for (const r of rows) {
          try {
            await this.#send([r], total);
          } catch (one) {
            if (!refused(one)) throw one;
            await this.store.markRejected(r.id, (one as Error).message);
            total.rejected++;
          }
        }
      }
    }
  }

  async #send(rows: LocalHistoryRecord[], total: SyncResult): Promise<void> {
    const res = await this.client.syncHistory(rows.map(toApiRecord));
    await this.store.markSynced(rows.map((r) => r.id));
    total.sent += rows.length;
    total.inserted += res.inserted;
    total.duplicates += res.duplicates;
  }
}

/** The server refused the request's content (400): sending it again unchanged cannot succeed. */
const refused = (e: unknown): boolean => e instanceof ApiError && e.status === 400;

/** Delay before retry number `attempt` (0-based): 2 s, 4 s, 8 s … capped at 5 min, ±20 % jitter so tabs and devices spread out. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 2000, maxMs = 300_000): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(d * (0.8 + 0.4 * random()));
}

/**
 * Retries a failed sync by itself, with exponential backoff, while the browser is online: no click, new
 * prediction or `online` event needed. `failed()` after a sync that could not reach the server schedules the
 * next try; `succeeded()` resets the backoff; going offline pauses it (the `online` event syncs anyway).
 */
export class SyncRetry {
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly run: () => unknown,
    private readonly opts: { isOnline?: () => boolean; random?: () => number; baseMs?: number; maxMs?: number } = {},
  ) {}

  /** When the next try is scheduled (ms from the failure), or null when none is. */
  nextDelayMs: number | null = null;

  failed(): void {
    this.cancel();
    if (this.opts.isOnline && !this.opts.isOnline()) return;
    const delay = backoffMs(this.#attempt++, this.opts.random, this.opts.baseMs, this.opts.maxMs);
    this.nextDelayMs = delay;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.nextDelayMs = null;
      void this.run();
    }, delay);
  }

  succeeded(): void {
    this.#attempt = 0;
    this.cancel();
  }

  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.nextDelayMs = null;
  }

  get pending(): boolean {
    return this.#timer !== null;
  }
}
