/**
 * Prediction history on the device (IndexedDB via idb): newest first, searchable, filterable by label,
 * each row pending until the Worker acknowledges it (sync.ts).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { HistoryRecord } from '@sentiment-edge/registry';

/** rejected: the server refused the row itself (400); it stays on the device and is not sent again. */
export type SyncState = 'pending' | 'synced' | 'rejected';

/** A history row as stored on the device: the API's HistoryRecord plus its sync state. */
export interface LocalHistoryRecord extends HistoryRecord {
  syncState: SyncState;
  /** Why the server refused it (syncState 'rejected'). */
  syncError?: string;
  /** The label the user says is right ("wrong? pick the right label"), sent by feedback-sync.ts. */
  feedback?: LocalFeedback;
}

/** A correction on the device: pending until POST /api/v1/feedback acknowledged this label. */
export interface LocalFeedback {
  label: string;
  state: SyncState;
  /** When the user picked it (a later pick replaces it). */
  at: string;
  error?: string;
}

interface HistoryDB extends DBSchema {
  history: {
    key: string;
    value: LocalHistoryRecord;
    indexes: { createdAt: string; syncState: SyncState };
  };
}

export interface HistoryFilter {
  /** Case-insensitive words of the text or label, matched at the start of a word ("not" finds "not bad", never "another"). */
  query?: string;
  label?: string;
  limit?: number;
}

export const HISTORY_DB = 'sentiment-edge-history';

export class HistoryStore {
  private constructor(private readonly db: IDBPDatabase<HistoryDB>) {}

  static async open(name = HISTORY_DB): Promise<HistoryStore> {
    const db = await openDB<HistoryDB>(name, 1, {
      upgrade(db) {
        const s = db.createObjectStore('history', { keyPath: 'id' });
        s.createIndex('createdAt', 'createdAt');
        s.createIndex('syncState', 'syncState');
      },
    });
    return new HistoryStore(db);
  }

  async add(record: LocalHistoryRecord): Promise<void> {
    await this.db.put('history', record);
  }

  /** Newest first, filtered. */
  async list(filter: HistoryFilter = {}): Promise<LocalHistoryRecord[]> {
    const limit = filter.limit ?? 200;
    const matches = wordMatcher(filter.query ?? '');
    const out: LocalHistoryRecord[] = [];
    let cursor = await this.db.transaction('history').store.index('createdAt').openCursor(null, 'prev');
    while (cursor && out.length < limit) {
      const r = cursor.value;
      if ((!filter.label || r.label === filter.label) && (!matches || matches(r.text ?? '') || matches(r.label))) out.push(r);
      cursor = await cursor.continue();
    }
    return out;
  }

  /** Oldest pending rows first, so a sync sends history in the order it happened. */
  async pending(limit: number): Promise<LocalHistoryRecord[]> {
    const rows = await this.db.getAllFromIndex('history', 'syncState', 'pending');
    return rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(0, limit);
  }

  async markSynced(ids: readonly string[]): Promise<void> {
    const tx = this.db.transaction('history', 'readwrite');
    for (const id of ids) {
      const r = await tx.store.get(id);
      if (r && r.syncState !== 'synced') await tx.store.put({ ...r, syncState: 'synced' });
    }
    await tx.done;
  }

  /** Marks a row the server refused (it is kept on the device, never sent again). */
  async markRejected(id: string, reason: string): Promise<void> {
    const tx = this.db.transaction('history', 'readwrite');
    const r = await tx.store.get(id);
    if (r && r.syncState === 'pending') await tx.store.put({ ...r, syncState: 'rejected', syncError: reason });
    await tx.done;
  }

  /** Records the user's correction of a row (replacing an earlier one); it waits for the next sync. */
  async setFeedback(id: string, label: string, at = new Date().toISOString()): Promise<void> {
    const tx = this.db.transaction('history', 'readwrite');
    const r = await tx.store.get(id);
    if (r) await tx.store.put({ ...r, feedback: { label, state: 'pending', at } });
    await tx.done;
  }

  /** Rows with a correction to send, oldest correction first: only rows the server already has (synced). */
  async pendingFeedback(limit: number): Promise<LocalHistoryRecord[]> {
    const rows = await this.db.getAllFromIndex('history', 'syncState', 'synced');
    return rows
      .filter((r) => r.feedback?.state === 'pending')
      .sort((a, b) => a.feedback!.at.localeCompare(b.feedback!.at))
      .slice(0, limit);
  }

  /** Marks corrections sent (or refused), unless the user picked another label meanwhile (that one stays pending). */
  async markFeedback(sent: readonly { id: string; at: string }[], state: 'synced' | 'rejected', error?: string): Promise<void> {
    const tx = this.db.transaction('history', 'readwrite');
    for (const { id, at } of sent) {
      const r = await tx.store.get(id);
      if (r?.feedback && r.feedback.at === at && r.feedback.state === 'pending') await tx.store.put({ ...r, feedback: { ...r.feedback, state, ...(error ? { error } : {}) } });
    }
    await tx.done;
  }

  async counts(): Promise<{ total: number; pending: number }> {
    const [total, pending] = await Promise.all([this.db.count('history'), this.db.countFromIndex('history', 'syncState', 'pending')]);
    return { total, pending };
  }

  async labels(): Promise<string[]> {
    const all = await this.db.getAll('history');
    return [...new Set(all.map((r) => r.label))].sort();
  }

  /** Adds many rows in one transaction (batch results saved to the history). */
  async addMany(records: readonly LocalHistoryRecord[]): Promise<void> {
    const tx = this.db.transaction('history', 'readwrite');
    await Promise.all([...records.map((r) => tx.store.put(r)), tx.done]);
  }

  /** Every row, newest first (for export). */
  async all(): Promise<LocalHistoryRecord[]> {
    return (await this.db.getAllFromIndex('history', 'createdAt')).reverse();
  }

  /** Deletes one row from this device (a synced copy on the server stays). */
  async delete(id: string): Promise<void> {
    await this.db.delete('history', id);
  }

  async clear(): Promise<void> {
    await this.db.clear('history');
  }

  close(): void {
    this.db.close();
  }
}

/** The API shape of a local row (drops the device-only sync state). */
export function toApiRecord(r: LocalHistoryRecord): HistoryRecord {
  const { syncState: _s, syncError: _e, feedback: _f, ...rest } = r;
  return rest;
}

/**
 * A case-insensitive test for a search query: each of its words must occur at the start of a word of the
 * text (so "not" finds "not bad" and "nothing", never "another"; "gre fil" finds "great film"). null for an
 * empty query.
 */
export function wordMatcher(query: string): ((text: string) => boolean) | null {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  const res = words.map((w) => new RegExp(`(?<![\\p{L}\\p{N}_])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'iu'));
  return (text) => res.every((re) => re.test(text));
}
