// The per-isolate uptime: measured from the first request this isolate served (workerd evaluates the
// module scope at deploy time with Date.now() = 0, so a module-load timestamp gave a Unix time).
import { describe, expect, it } from 'vitest';
import { bucketLe, CONFIDENCE_BUCKETS } from '../db/rollups.ts';
import { metrics, noteRequest, renderMetrics } from './prometheus.ts';

const uptime = (text: string) => Number(/^sentiment_isolate_uptime_seconds (\S+)$/m.exec(text)?.[1]);
const render = (now: number) => renderMetrics({ loadedSessions: [], historyRows: null, rollups: null, now });

describe('sentiment_isolate_uptime_seconds', () => {
  it('counts from the first request the isolate served, not from module load', () => {
    const saved = metrics.firstRequestAt;
    try {
      metrics.firstRequestAt = null;
      expect(uptime(render(1_800_000_000_000))).toBe(0);
      noteRequest(1_800_000_000_000);
      noteRequest(1_800_000_001_000); // later requests do not restart the clock
      expect(uptime(render(1_800_000_003_500))).toBe(3.5);
    } finally {
      metrics.firstRequestAt = saved;
    }
  });
});

it('bucketLe picks the smallest bound holding the value', () => {
  expect(bucketLe(0.7, CONFIDENCE_BUCKETS)).toBe('0.7');
  expect(bucketLe(0.71, CONFIDENCE_BUCKETS)).toBe('0.8');
  expect(bucketLe(0.2, CONFIDENCE_BUCKETS)).toBe('0.5');
  expect(bucketLe(2, CONFIDENCE_BUCKETS)).toBe('+Inf');
});
