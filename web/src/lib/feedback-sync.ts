/**
 * Sends the user's corrections ("wrong? pick the right label") to POST /api/v1/feedback, offline-first:
 * a correction is stored on the device first (history-store.ts `setFeedback`) and sent once its
 * prediction is on the server (after HistorySync synced the row). The server keeps one correction per
 * prediction (a later one replaces it), so sending again after a lost answer is harmless. A batch the
 * server refuses (400, or 404 for a prediction it does not have) is sent again row by row; the rows
 * refused alone are kept as 'rejected' and not sent again.
 *
 * Predictions the PWA got from the server (fallback when the device cannot run the model) are kept
 * under a local id the server does not know, so only predictions made on the device can be corrected.
 */
import { ApiError, MAX_FEEDBACK_BATCH, type RegistryClient } from '@sentiment-edge/registry';
import type { HistoryStore, LocalHistoryRecord } from './history-store.ts';

export interface FeedbackSyncResult {
  sent: number;
  rejected: number;
}

export class FeedbackSync {
  #running: Promise<FeedbackSyncResult> | null = null;

  constructor(
    private readonly store: HistoryStore,
    private readonly client: Pick<RegistryClient, 'sendFeedback'>,
    private readonly opts: { batchSize?: number } = {},
  ) {}

  /** Runs a sync, or joins the one running. Rejects when the server cannot be reached; corrections stay pending. */
  sync(): Promise<FeedbackSyncResult> {
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #drain(): Promise<FeedbackSyncResult> {
    const batch = Math.min(this.opts.batchSize ?? MAX_FEEDBACK_BATCH, MAX_FEEDBACK_BATCH);
    const total: FeedbackSyncResult = { sent: 0, rejected: 0 };
    for (;;) {
      const rows = await this.store.pendingFeedback(batch);
      if (rows.length === 0) return total;
      try {
        await this.#send(rows, total);
        continue;
      } catch (e) {
        if (!refused(e)) throw e;
        if (rows.length === 1) {
          await this.#reject(rows[0]!, e, total);
          continue;
        }
      }
      // Something in the batch is refused: find it row by row.
      for (const r of rows) {
        try {
          await this.#send([r], total);
        } catch (one) {
          if (!refused(one)) throw one;
          await this.#reject(r, one, total);
        }
      }
    }
  }

  async #reject(r: LocalHistoryRecord, e: unknown, total: FeedbackSyncResult): Promise<void> {
    await this.store.markFeedback(sent([r]), 'rejected', (e as Error).message);
    total.rejected++;
  }

  async #send(rows: LocalHistoryRecord[], total: FeedbackSyncResult): Promise<void> {
    await this.client.sendFeedback(rows.map((r) => ({ predictionId: r.id, label: r.feedback!.label })));
    await this.store.markFeedback(sent(rows), 'synced');
    total.sent += rows.length;
  }
}

const sent = (rows: readonly LocalHistoryRecord[]) => rows.map((r) => ({ id: r.id, at: r.feedback!.at }));

/** The server refused the content (400, or 404: it does not have the prediction): sending it unchanged cannot succeed. */
const refused = (e: unknown): boolean => e instanceof ApiError && (e.status === 400 || e.status === 404);
