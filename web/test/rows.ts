/** Test helper: history rows with increasing timestamps. */
import type { LocalHistoryRecord } from '../src/lib/history-store.ts';

let n = 0;
export function row(over: Partial<LocalHistoryRecord> = {}): LocalHistoryRecord {
  n++;
  return {
    id: crypto.randomUUID(),
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    model: { name: 'sentiment', version: 1 },
    label: 'positive',
    score: 0.9,
    probabilities: { negative: 0.1, positive: 0.9 },
    textLength: 5,
    textSha256: 'a'.repeat(64),
    text: `text ${n}`,
    source: 'browser',
    latencyMs: 1,
    syncState: 'pending',
    ...over,
  };
}
