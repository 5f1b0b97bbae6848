/**
 * The device's history with its sync: the IndexedDB store (history-store.ts), the exactly-once sync of
 * prediction rows (sync.ts) and of corrections (feedback-sync.ts), the retry with backoff, and the
 * reactive lists and counts the history panel and the dashboard show. Also asks the browser once to keep
 * this site's storage (model and history) under storage pressure.
 */
import { ApiError, sha256Hex, type RegistryClient } from '@sentiment-edge/registry';
import { FeedbackSync } from './feedback-sync.ts';
import { HistoryStore, type HistoryFilter, type LocalHistoryRecord } from './history-store.ts';
import type { Backend, ExplainedPrediction } from './messages.ts';
import { HistorySync, SyncRetry } from './sync.ts';
import { plainDetail, plural } from './wording.ts';

/** A settled prediction, as the history stores it. */
export interface SettledPrediction extends ExplainedPrediction {
  model: { name: string; version: number };
  latencyMs: number;
  via: Backend | 'server';
  /** The server's history row of a /predict answer (its id there, so a correction reaches it). */
  serverId?: string;
}

export interface HistoryOptions {
  /** Whether the browser is online now (navigator.onLine): no sync is tried offline. */
  isOnline?: () => boolean;
  /** navigator.storage, or a stand-in (tests). */
  storage?: Pick<StorageManager, 'persist' | 'persisted'> | undefined;
}

export class HistoryModel {
  rows = $state.raw<LocalHistoryRecord[]>([]);
  counts = $state.raw({ total: 0, pending: 0 });
  labels = $state.raw<string[]>([]);
  filter = $state.raw<HistoryFilter>({});
  syncMessage = $state.raw<string | null>(null);
  /** Whether the browser keeps this site's storage (model + history) under storage pressure: null until known. */
  persisted = $state.raw<boolean | null>(null);

  #client: Pick<RegistryClient, 'syncHistory' | 'sendFeedback'>;
  #isOnline: () => boolean;
  #storage: Pick<StorageManager, 'persist' | 'persisted'> | undefined;
  #store: HistoryStore | null = null;
  #sync: HistorySync | null = null;
  #feedbackSync: FeedbackSync | null = null;
  /** syncMessage is a "could not sync" note (cleared by the next sync that succeeds). */
  #syncFailed = false;
  /** Retries a sync that could not reach the server, with backoff, while online. */
  #retry: SyncRetry;
  /** navigator.storage.persist() is asked once, after the first saved prediction. */
  #persistAsked = false;

  constructor(client: Pick<RegistryClient, 'syncHistory' | 'sendFeedback'>, opts: HistoryOptions = {}) {
    this.#client = client;
    this.#isOnline = opts.isOnline ?? (() => navigator.onLine);
    this.#storage = 'storage' in opts ? opts.storage : globalThis.navigator?.storage;
    this.#retry = new SyncRetry(() => this.syncNow(), { isOnline: this.#isOnline });
  }

  /** Opens the history database (tests name their own) and lists it; asks whether this site's storage is kept. */
  async open(dbName?: string): Promise<void> {
    void this.#storage?.persisted?.().then((p) => (this.persisted = p)).catch(() => undefined);
    this.#store = await HistoryStore.open(dbName);
    this.#sync = new HistorySync(this.#store, this.#client);
    this.#feedbackSync = new FeedbackSync(this.#store, this.#client);
    await this.refresh();
  }

  /** Stores a settled prediction in the history (pending sync when made in the browser); returns its row id. */
  async record(text: string, r: SettledPrediction): Promise<string | null> {
    if (!this.#store) return null;
    const rec = await historyRow(text, r, r.model, r.via, r.serverId ?? crypto.randomUUID(), new Date().toISOString(), Math.round(r.latencyMs * 1000) / 1000);
    await this.#store.add(rec);
    await this.#saved();
    return rec.id;
  }

  /**
   * Saves batch results to the history (on the user's request). Browser rows wait to sync like any other;
   * rows the server answered are stored as synced (the server logged them itself).
   */
  async recordMany(texts: readonly string[], predictions: readonly ExplainedPrediction[], via: Backend | 'server', model: { name: string; version: number }, elapsedMs: number): Promise<number> {
    if (!this.#store) return 0;
    const t0 = Date.now();
    const latency = Math.round((elapsedMs / Math.max(1, predictions.length)) * 1000) / 1000;
    const rows: LocalHistoryRecord[] = [];
    // Distinct, increasing timestamps keep the input order in the (newest first) list.
    for (const [i, p] of predictions.entries()) rows.push(await historyRow(texts[i] ?? '', p, model, via, crypto.randomUUID(), new Date(t0 + i).toISOString(), latency));
    await this.#store.addMany(rows);
    await this.#saved();
    return rows.length;
  }

  /** After new rows: list them, send them, and ask once to keep the storage. */
  async #saved(): Promise<void> {
    await this.refresh();
    void this.syncNow();
    void this.#persistStorage();
  }

  /** Asks the browser once to keep the model and the history under storage pressure. */
  async #persistStorage(): Promise<void> {
    if (this.#persistAsked || !this.#storage?.persist) return;
    this.#persistAsked = true;
    try {
      this.persisted = (await this.#storage.persisted()) || (await this.#storage.persist());
    } catch {
      this.persisted = false;
    }
  }

  /** Deletes a row from this device; returns it, so that "Undo" can put it back (restoreRecord). */
  async deleteRecord(id: string): Promise<LocalHistoryRecord | null> {
    const row = this.rows.find((h) => h.id === id) ?? null;
    await this.#store?.delete(id);
    await this.refresh();
    return row;
  }

  /** Puts a deleted row back as it was (same id, time, sync state and correction). */
  async restoreRecord(row: LocalHistoryRecord): Promise<void> {
    await this.#store?.add(row);
    await this.refresh();
    if (row.syncState === 'pending' || row.feedback?.state === 'pending') void this.syncNow();
  }

  /** Every row on this device, newest first (for export). */
  async all(): Promise<LocalHistoryRecord[]> {
    return (await this.#store?.all()) ?? [];
  }

  async refresh(filter: HistoryFilter = this.filter): Promise<void> {
    if (!this.#store) return;
    this.filter = filter;
    const [items, counts, labels] = await Promise.all([this.#store.list(filter), this.#store.counts(), this.#store.labels()]);
    this.rows = items;
    this.counts = counts;
    this.labels = labels;
  }

  async syncNow(): Promise<void> {
    if (!this.#sync || !this.#isOnline()) return;
    try {
      const r = await this.#sync.sync();
      // Corrections go after the rows they correct are on the server.
      const f = await this.#feedbackSync?.sync();
      const parts = [];
      if (f?.rejected) parts.push(`${plural(f.rejected, 'correction')} ${f.rejected === 1 ? 'was' : 'were'} not accepted by the server.`);
      if (r.sent > 0) parts.push(`Synced ${plural(r.sent, 'prediction')} to the server.`);
      if (r.rejected > 0) parts.push(`${plural(r.rejected, 'prediction')} ${r.rejected === 1 ? 'was' : 'were'} refused by the server and kept only on this device.`);
      if (parts.length) this.syncMessage = parts.join(' ');
      else if (this.#syncFailed) this.syncMessage = null;
      this.#syncFailed = false;
      this.#retry.succeeded();
    } catch (e) {
      const why = e instanceof ApiError && e.code !== 'network_error' ? plainDetail(e.message) : 'the server cannot be reached';
      this.syncMessage = `Your predictions are saved on this device and will be sent when the server can be reached (${why}). Trying again automatically.`;
      this.#syncFailed = true;
      this.#retry.failed();
    }
    await this.refresh();
  }

  /** Going offline pauses the retry (the `online` event syncs again). */
  pauseRetry(): void {
    this.#retry.cancel();
  }

  /** Whether a retry of a failed sync is scheduled. */
  get retryPending(): boolean {
    return this.#retry.pending;
  }

  /** The user says `label` is right for history row `id` ("wrong? pick the right label"): saved here, sent by the next sync. */
  async correct(id: string, label: string): Promise<void> {
    await this.#store?.setFeedback(id, label);
    await this.refresh();
    void this.syncNow();
  }

  async clear(): Promise<void> {
    await this.#store?.clear();
    this.#retry.cancel();
    if (this.#syncFailed) this.syncMessage = null;
    this.#syncFailed = false;
    await this.refresh();
  }
}

/** A history row of one answer: browser rows wait to be sent, rows the server answered are already there (it logs its own). */
async function historyRow(text: string, p: ExplainedPrediction, model: { name: string; version: number }, via: Backend | 'server', id: string, createdAt: string, latencyMs: number): Promise<LocalHistoryRecord> {
  return {
    id,
    createdAt,
    model,
    label: p.label,
    score: p.score,
    probabilities: p.probabilities,
    textLength: text.length,
    textSha256: await sha256Hex(text),
    text,
    source: via === 'server' ? 'edge' : 'browser',
    latencyMs,
    // What drift monitoring needs without the text (browser rows; the server records its own).
    ...(p.tokenStats ? { tokens: p.tokenStats.tokens, unknownShare: p.tokenStats.unknownShare } : {}),
    syncState: via === 'server' ? 'synced' : 'pending',
  };
}
