import { describe, expect, it } from 'vitest';
import { bucketFor, confidenceHistogram, mixByVersion, overTime, percentile, summary, type DashboardRow } from './dashboard-data.ts';
import { UNCERTAIN_BELOW } from './honest.ts';

const row = (createdAt: string, label: string, score: number, version = 1, latencyMs = 1, source = 'browser'): DashboardRow => ({
  createdAt,
  label,
  score,
  latencyMs,
  source,
  model: { name: 'sentiment', version },
});

describe('dashboard figures', () => {
  const rows = [
    row('2026-11-30T10:05:00Z', 'positive', 0.9, 1, 2),
    row('2026-11-30T10:40:00Z', 'negative', 0.55, 1, 4),
    row('2026-11-30T11:10:00Z', 'positive', 0.7, 2, 6),
    row('2026-11-30T11:20:00Z', 'positive', 1, 2, 8, 'edge'),
  ];

  it('counts predictions per hour and label, oldest first', () => {
    const s = overTime(rows);
    expect(s.bucket).toBe('hour');
    expect(s.x).toEqual(['2026-11-30 10:00', '2026-11-30 11:00']);
    expect(s.byLabel).toEqual({ positive: [1, 2], negative: [1, 0] });
  });

  it('switches to days when the history spans more than two days', () => {
    const long = [...rows, row('2026-12-05T09:00:00Z', 'negative', 0.8)];
    expect(bucketFor(long)).toBe('day');
    expect(overTime(long).x).toEqual(['2026-11-30', '2026-12-05']);
    expect(overTime(long).byLabel.negative).toEqual([1, 1]);
  });

  it('counts labels per model version, versions in numeric order', () => {
    const s = mixByVersion([...rows, row('2026-11-30T12:00:00Z', 'negative', 0.9, 10)]);
    expect(s.x).toEqual(['sentiment v1', 'sentiment v2', 'sentiment v10']);
    expect(s.byLabel).toEqual({ positive: [1, 2, 0], negative: [1, 0, 1] });
  });

  it('bins the top-class probability, 1.0 in the last bin', () => {
    const h = confidenceHistogram(rows);
    expect(h.counts).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 1 + 1]);
    expect(h.names[5]).toBe('50–60%');
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(rows.length);
  });

  it('counts uncertain answers with honest.ts’s threshold and gives latency percentiles per source', () => {
    const s = summary(rows);
    expect(s.threshold).toBe(UNCERTAIN_BELOW);
    expect(s.uncertain).toBe(rows.filter((r) => r.score < UNCERTAIN_BELOW).length);
    expect(s.uncertainShare).toBeCloseTo(1 / 4);
    expect(s.latency.browser).toEqual({ n: 3, p50: 4, p95: 6 });
    expect(s.latency.edge).toEqual({ n: 1, p50: 8, p95: 8 });
  });

  it('gives zeros for an empty history', () => {
    expect(summary([])).toMatchObject({ total: 0, uncertain: 0, uncertainShare: 0, latency: {} });
    expect(overTime([]).x).toEqual([]);
    expect(percentile([], 0.5)).toBe(0);
  });
});
