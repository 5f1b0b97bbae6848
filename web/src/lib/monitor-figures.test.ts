import { describe, expect, it } from 'vitest';
import { buildProfile, checkDrift, windowCounts, type DriftListing, type DriftReport, type EvaluationRun } from '@sentiment-edge/registry';
import {
  aliasTimeline,
  compareEvaluations,
  driftFigures,
  featureSentence,
  loadMonitorCopy,
  MONITOR_COPY_KEY,
  realisedByDay,
  saveMonitorCopy,
  type MonitorCopy,
} from './monitor-figures.ts';
import { MemoryStorage } from '../../test/memory-storage.ts';

const run = (version: number, sha: string, createdAt: string, accuracy: number, extra: Partial<EvaluationRun> = {}): EvaluationRun => ({
  id: `${version}-${sha}-${createdAt}`,
  model: { name: 'sentiment', version },
  precision: 'int8',
  source: 'r2',
  dataset: { name: `${sha}.csv`, sha256: sha.repeat(64).slice(0, 64), rows: 100 },
  labels: ['negative', 'positive'],
  status: 'succeeded',
  metrics: { accuracy, macroF1: accuracy - 0.01, macroRecall: accuracy, ece: 0.05, perClass: {}, confusion: [] },
  error: null,
  durationMs: 10,
  note: null,
  createdAt,
  finishedAt: createdAt,
  ...extra,
});

describe('evaluation runs side by side', () => {
  it('compares versions only on the same dataset bytes and precision, newest run per version, widest group first', () => {
    const runs = [
      run(1, 'a', '2026-11-01T00:00:00Z', 0.7),
      run(1, 'a', '2026-11-02T00:00:00Z', 0.72), // newer run of v1 on a: replaces 0.7
      run(2, 'a', '2026-11-03T00:00:00Z', 0.8),
      run(2, 'b', '2026-11-04T00:00:00Z', 0.6),
      run(3, 'a', '2026-11-05T00:00:00Z', 0.9, { status: 'failed', metrics: null }),
      run(2, 'a', '2026-11-06T00:00:00Z', 0.81, { precision: 'fp32' }),
    ];
    const c = compareEvaluations(runs, { champion: 2, challenger: 1 });
    expect(c.map((g) => [g.dataset.name, g.precision, g.versions.length])).toEqual([
      ['a.csv', 'int8', 2],
      ['a.csv', 'fp32', 1],
      ['b.csv', 'int8', 1],
    ]);
    expect(c[0]!.versions.map((v) => [v.name, v.accuracy])).toEqual([
      ['v1 (challenger)', 0.72],
      ['v2 (champion)', 0.8],
    ]);
    expect(compareEvaluations([])).toEqual([]);
  });

  it('never compares a 3-label run scored 3-way with one scored polar on the same bytes', () => {
    const three = { labels: ['negative', 'neutral', 'positive'] };
    const runs = [
      run(1, 'a', '2026-11-01T00:00:00Z', 0.74, { ...three, metrics: { accuracy: 0.74, macroF1: 0.53, macroRecall: 0.49, ece: 0.1, perClass: { negative: {}, neutral: {}, positive: {} }, confusion: [] } as never }),
      run(2, 'a', '2026-11-02T00:00:00Z', 0.86, { ...three, metrics: { accuracy: 0.86, macroF1: 0.86, macroRecall: 0.86, ece: 0.05, perClass: { negative: {}, positive: {} }, confusion: [] } as never }),
    ];
    expect(compareEvaluations(runs).map((g) => [g.scoring, g.versions.map((v) => v.version)])).toEqual([
      ['polar', [2]],
      ['argmax', [1]],
    ]);
  });
});

describe('alias timeline', () => {
  it('merges every alias, newest first, in words', () => {
    const t = aliasTimeline({
      champion: [
        { id: 3, name: 'm', alias: 'champion', fromVersion: 1, toVersion: 2, at: '2026-11-03T00:00:00Z', reason: 'gate passed', actor: null },
        { id: 1, name: 'm', alias: 'champion', fromVersion: null, toVersion: 1, at: '2026-11-01T00:00:00Z', reason: null, actor: null },
      ],
      challenger: [{ id: 2, name: 'm', alias: 'challenger', fromVersion: 2, toVersion: null, at: '2026-11-02T00:00:00Z', reason: null, actor: null }],
    });
    expect(t.map((e) => e.text)).toEqual(['champion moved from v1 to v2', 'challenger removed (was v2)', 'champion set to v1']);
    expect(t[0]!.reason).toBe('gate passed');
  });
});

const profile = buildProfile(
  Array.from({ length: 200 }, (_, i) => ({ tokens: 5 + (i % 20), unknownShare: 0, confidence: 0.6 + (i % 40) / 100, label: i % 2 ? 'positive' : 'negative' })),
  ['negative', 'positive'],
);

function report(version: number, createdAt: string, shifted: boolean, extra: Partial<DriftReport> = {}): DriftReport {
  const rows = Array.from({ length: 150 }, (_, i) => ({ tokens: shifted ? 100 + i : 5 + (i % 20), unknownShare: shifted ? 0.4 : 0, confidence: 0.6 + (i % 40) / 100, label: i % 2 ? 'positive' : 'negative' }));
  const features = checkDrift(profile, windowCounts(profile, rows), { psi: 0.1, pValue: 0.05 }, 100);
  return {
    createdAt,
    model: { name: 'sentiment', version },
    aliases: ['champion'],
    window: { start: createdAt, end: createdAt, hours: 24 },
    rows: 150,
    status: shifted ? 'drift' : 'ok',
    thresholds: { psi: 0.1, pValue: 0.05, minRows: 100 },
    features,
    driftedFeatures: features.flatMap((f) => ('drifted' in f && f.drifted ? [f.feature] : [])),
    estimatedAccuracy: { method: 'cbpe', estimate: 0.8, low: 0.75, high: 0.85, rows: 150, calibrationEce: 0.03, evaluationAccuracy: 0.82, referenceMeanConfidence: 0.79 },
    realisedAccuracy: null,
    shadow: null,
    alerts: { opened: [], open: [], resolved: [] },
    ...extra,
  };
}

describe('drift figures', () => {
  it("takes the champion's newest report: PSI per feature against its threshold, shadow, estimated and realised accuracy over time", () => {
    const listing: DriftListing = {
      model: 'sentiment',
      reports: [
        report(2, '2026-11-30T02:00:00Z', true, {
          realisedAccuracy: { accuracy: 0.7, rows: 12 },
          shadow: { challenger: { name: 'sentiment', version: 3 }, rows: 40, agreement: 0.9, labelMix: { champion: {}, challenger: {} }, labelMixDifference: 0.05, challengerMeanConfidence: 0.8, otherRows: 0 },
        }),
        report(3, '2026-11-30T02:00:00Z', false, { aliases: ['challenger'] }),
        report(2, '2026-11-30T01:00:00Z', false),
        report(1, '2026-11-29T01:00:00Z', false),
      ],
      alerts: [
        { id: 1, model: { name: 'sentiment', version: 2 }, feature: 'tokens', state: 'open', openedAt: '', resolvedAt: null, openedReportId: 1, lastReportId: 1, psi: 3, pValue: 0, delivery: null },
        { id: 2, model: { name: 'sentiment', version: 1 }, feature: 'label', state: 'open', openedAt: '', resolvedAt: null, openedReportId: 1, lastReportId: 1, psi: 3, pValue: 0, delivery: null },
      ],
    };
    const f = driftFigures(listing, 2)!;
    expect(f.report).toMatchObject({ at: '2026-11-30T02:00:00Z', version: 2, rows: 150, status: 'drift' });
    const byName = Object.fromEntries(f.features.map((x) => [x.feature, x]));
    expect(Object.keys(byName)).toEqual(['tokens', 'unknownShare', 'confidence', 'label']);
    const tokens = byName.tokens!;
    if ('skipped' in tokens) throw new Error('tokens were judged');
    expect(tokens.drifted).toBe(true);
    expect(tokens.psi!).toBeGreaterThan(tokens.psiThreshold);
    const label = byName.label!;
    if ('skipped' in label) throw new Error('label was judged');
    expect(label.drifted).toBe(false);
    expect(featureSentence(tokens)).toMatch(/^text length \(word pieces\): PSI \d+\.\d{3} against 0\.1 \(KS p 0\.\d{3} against 0\.05\), drifted$/);
    expect(f.shadow).toEqual({ challenger: 3, rows: 40, agreement: 0.9, labelMixDifference: 0.05 });
    expect(f.estimated).toEqual({ estimate: 0.8, low: 0.75, high: 0.85, rows: 150 });
    expect(f.realised).toEqual({ accuracy: 0.7, rows: 12 });
    expect(f.accuracy).toEqual({ x: ['11-30 01:00', '11-30 02:00'], estimated: [0.8, 0.8], realised: [null, 0.7] });
    expect(f.openAlerts).toEqual(['tokens']);
    // Without knowing the champion: the newest report made while a version was champion.
    expect(driftFigures(listing, null)!.report.version).toBe(2);
    expect(driftFigures(listing, 9)).toBeNull();
  });

  it('says "n/a" for a value the report could not compute (NaN arrives as JSON null)', () => {
    const r = JSON.parse(JSON.stringify(report(1, '2026-11-30T00:00:00Z', false))) as DriftReport;
    const label = r.features.find((x) => x.feature === 'label')!;
    if ('skipped' in label) throw new Error('label was judged');
    (label as { pValue: number | null }).pValue = null;
    const f = driftFigures({ model: 'sentiment', reports: [r], alerts: [] }, 1)!.features.find((x) => x.feature === 'label')!;
    expect(featureSentence(f)).toMatch(/^label mix: PSI \d\.\d{3} against 0\.1 \(chi-squared p n\/a against 0\.05\), no drift$/);
  });

  it('says why a feature was not judged', () => {
    const r = report(1, '2026-11-30T00:00:00Z', false);
    r.features = checkDrift(profile, windowCounts(profile, []), { psi: 0.1, pValue: 0.05 }, 100);
    const f = driftFigures({ model: 'sentiment', reports: [r], alerts: [] }, 1)!;
    expect(f.features.every((x) => 'skipped' in x)).toBe(true);
    expect(featureSentence(f.features[0]!)).toBe('text length (word pieces): not judged, 0 of the 100 rows needed');
  });
});

describe('realised accuracy per day', () => {
  it("keeps one version's days, oldest first", () => {
    const row = (version: number, day: string, feedback: number, correct: number) => ({ model: { name: 'sentiment', version }, day, feedback, correct, accuracy: correct / feedback });
    const rows = [row(2, '2026-11-30', 4, 3), row(1, '2026-11-29', 2, 2), row(2, '2026-11-28', 5, 1)];
    // A day with fewer than 5 answers is not drawn as a percentage ("0 % of 1 answer"): it is counted as too few.
    expect(realisedByDay(rows, 2)).toEqual({ version: 2, x: ['2026-11-28'], accuracy: [0.2], feedback: [5], tooFew: 4 });
    expect(realisedByDay(rows, 3)).toBeNull();
  });
});

describe('the copy kept on this device', () => {
  it('round-trips and ignores a damaged entry', () => {
    const s = new MemoryStorage();
    const c: MonitorCopy = { at: '2026-11-30T00:00:00Z', model: 'sentiment', evaluations: [], timeline: [] };
    saveMonitorCopy(c, s);
    expect(loadMonitorCopy(s)).toEqual(c);
    s.map.set(MONITOR_COPY_KEY, JSON.stringify({ ...c, timeline: [{ at: c.at, alias: 'champion', from: null, to: 1, reason: null, text: 'champion set to v1' }] }));
    expect(loadMonitorCopy(s)).toBeNull(); // an entry without its id (keys of the timeline)
    s.map.set(MONITOR_COPY_KEY, '{"at":1}');
    expect(loadMonitorCopy(s)).toBeNull();
    s.map.set(MONITOR_COPY_KEY, 'nope');
    expect(loadMonitorCopy(s)).toBeNull();
  });
});

describe('canary moves in the alias timeline', () => {
  it('says the share', () => {
    const ev = (id: number, fromVersion: number | null, toVersion: number | null, share?: number) => ({ id, name: 'm', alias: 'canary', fromVersion, toVersion, at: `2026-11-30T08:0${id}:00Z`, reason: null, actor: null, ...(share !== undefined ? { share } : {}) });
    const t = aliasTimeline({ canary: [ev(3, 4, null), ev(2, 4, 4, 0.5), ev(1, null, 4, 0.1)] });
    expect(t.map((e) => e.text)).toEqual(['canary removed (was v4)', 'canary v4 share changed (50 % of traffic)', 'canary set to v4 (10 % of traffic)']);
    // A move by the hourly promotion policy says so.
    const promoted = aliasTimeline({ champion: [{ ...ev(5, 1, 4), alias: 'champion', actor: 'policy' }] });
    expect(promoted[0]!.text).toBe('champion moved from v1 to v4, by the promotion policy');
  });
});
