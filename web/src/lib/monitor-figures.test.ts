import { describe, expect, it } from 'vitest';
import {
  buildProfile,
  checkDrift,
  decidePolicy,
  PromotionPolicy,
  windowCounts,
  type DriftListing,
  type DriftReport,
  type EvaluationRun,
  type PromotionDecision,
  type PromotionEvidence,
} from '@sentiment-edge/registry';
import {
  abFigures,
  abPair,
  aliasTimeline,
  canaryShare,
  canaryShareText,
  compareEvaluations,
  decisionFigures,
  DECISIONS_SHOWN,
  driftFigures,
  featureSentence,
  loadMonitorCopy,
  MONITOR_COPY_KEY,
  noDecisionsText,
  plainReason,
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

describe('A/B section', () => {
  it('compares the champion with the canary, else the challenger', () => {
    expect(abPair({ champion: 3, challenger: 4, canary: 5 })).toEqual({ a: 3, b: 5, alias: 'canary' });
    expect(abPair({ champion: 3, challenger: 4 })).toEqual({ a: 3, b: 4, alias: 'challenger' });
    expect(abPair({ champion: 3, challenger: 3 })).toBeNull();
    expect(abPair({ challenger: 4 })).toBeNull();
  });

  it('turns a readout into chart series and sentences', () => {
    const version = (v: number, mix: Record<string, number>, conf: number, p50: number, p95: number, n: number, correct: number) => ({
      version: v,
      n: 10,
      labels: {},
      labelMix: mix,
      meanConfidence: conf,
      latencyMs: { p50, p95 },
      feedback: { n, correct, accuracy: correct / n, interval: null },
    });
    const f = abFigures({
      model: 'sentiment',
      window: { start: '2026-11-23T00:00:00Z', end: '2026-11-30T00:00:00Z', days: 7 },
      overlap: { start: '2026-11-29T00:00:00Z', end: '2026-11-30T00:00:00Z' },
      source: null,
      a: version(3, { positive: 0.6, negative: 0.4 }, 0.77, 4.2, 12, 10, 6),
      b: version(4, { positive: 0.875, negative: 0.125 }, 0.9, 3.1, 9.5, 8, 7),
      labelMixDifference: { perLabel: { positive: 0.275, negative: -0.275 }, totalVariation: 0.275 },
      meanConfidenceDifference: 0.13,
      agreement: { rows: 6, agreement: 5 / 6 },
      accuracyDifference: { difference: 0.275, low: -0.1414, high: 0.5801, method: 'newcombe', confidence: 0.95 },
    });
    expect(f.labels).toEqual(['negative', 'positive']);
    expect(f.mix).toEqual([
      [0.4, 0.6],
      [0.125, 0.875],
    ]);
    expect(f.sentences.accuracy).toBe('v4 − v3: +27.5 points (95% interval −14.1 points to +58 points; 10 and 8 answers checked)');
    expect(f.sentences.agreement).toBe('83% of 6 texts scored by both');
    expect(f.sentences.latency).toBe('p50 v3 4.2 ms, v4 3.1 ms; p95 v3 12 ms, v4 9.5 ms');
    expect(f.sentences.mix).toBe('negative v3 40%, v4 13%; positive v3 60%, v4 88% (distance 0.275)');
  });
});

describe("the canary's share", () => {
  const alias = (a: string, version: number, share?: number) => ({ name: 'm', alias: a, version, updatedAt: '2026-11-30T00:00:00Z', ...(share !== undefined ? { share } : {}) });

  it('reads the canary and its share from the aliases list, and says it', () => {
    const c = canaryShare([alias('canary', 4, 0.25), alias('champion', 3), alias('challenger', 5)]);
    expect(c).toEqual({ version: 4, share: 0.25, champion: 3 });
    expect(canaryShareText(c!)).toBe('canary v4 serves 25 % of traffic; champion v3 the other 75 %');
    expect(canaryShareText({ version: 4, share: 0.005, champion: 3 })).toBe('canary v4 serves 0.5 % of traffic; champion v3 the other 99.5 %');
    expect(canaryShareText({ version: 4, share: 1, champion: 3 })).toBe('canary v4 serves 100 % of traffic');
    expect(canaryShareText({ version: 4, share: 0.1, champion: null })).toBe('canary v4 serves 10 % of traffic');
    expect(canaryShareText({ version: 4, share: 0, champion: 3 })).toBe('canary v4 serves 0 % of traffic: only requests that name the canary reach it');
  });

  it('is null without a canary, or for a canary without a share', () => {
    expect(canaryShare([alias('champion', 3), alias('challenger', 5)])).toBeNull();
    expect(canaryShare([alias('canary', 4)])).toBeNull();
    expect(canaryShare([])).toBeNull();
  });
});

describe("the promotion policy's decisions", () => {
  const since = '2026-11-30T08:00:00.000Z';
  const version = (v: number, rows: number, extra: Partial<PromotionEvidence['candidate']> = {}) => ({
    version: v,
    rows,
    failed: 0,
    errorRate: rows ? 0 : null,
    estimatedAccuracy: rows ? 0.8 : null,
    realisedAccuracy: null,
    latencyP95Ms: rows ? 2 : null,
    sources: { edge: rows, browser: { stored: 0, counted: 0, clientDays: 0, outlierClientDays: 0 }, failed: 0, feedback: { trusted: 0, untrusted: 0 } },
    since,
    ...extra,
  });
  /** A decision as the Worker stores it: the reasons written by the real decidePolicy. */
  const decision = (id: number, at: string, candidateRows: number, outcome: PromotionDecision['outcome'], extra: Partial<PromotionEvidence['candidate']> = {}): PromotionDecision => {
    const policy = PromotionPolicy.parse({ minRows: 200, minHours: 0 });
    const evidence: PromotionEvidence = { at, candidate: { ...version(2, candidateRows, extra), alias: 'canary', shadow: { rows: candidateRows, agreement: 0.95 } }, champion: version(1, 500) };
    const d = decidePolicy(policy, evidence);
    return { id, model: 'm', createdAt: at, candidate: { name: 'm', version: 2, alias: 'canary' }, championVersion: 1, outcome, ...d, evidence, policy, webhook: null };
  };

  it('lists the newest first, in words: when, candidate, action, outcome, reasons with UTC times', () => {
    const thin = decision(1, '2026-11-30T09:00:00.000Z', 75, 'none');
    const promoted = decision(3, '2026-11-30T11:00:00.000Z', 150, 'applied');
    const bad = decision(2, '2026-11-30T10:00:00.000Z', 150, 'applied', { failed: 30, errorRate: 30 / 180 });
    expect([thin.action, bad.action, promoted.action]).toEqual(['hold', 'rollback', 'promote']);
    const f = decisionFigures({ model: 'm', decisions: [thin, promoted, bad] }, 'set');
    expect(f.policy).toBe('set');
    expect(f.rows.map((r) => [r.id, r.at, r.candidate, r.actionText, r.outcomeText])).toEqual([
      [3, '2026-11-30T11:00:00.000Z', 'canary v2', 'promote', 'applied: v2 is champion (was v1)'],
      [2, '2026-11-30T10:00:00.000Z', 'canary v2', 'roll back', 'applied: canary v2 removed'],
      [1, '2026-11-30T09:00:00.000Z', 'canary v2', 'hold', 'nothing moved'],
    ]);
    expect(f.rows[2]!.reasons).toEqual(['traffic too thin: canary v2 has 150 rows of traffic since 2026-11-30 08:00 UTC (75 answered: 75 edge + 0 browser counted of 0 synced; 0 failed, 75 shadow); the policy needs 200']);
    expect(f.rows[1]!.reasons).toEqual(['regression: error rate 16.7 % (30 of 180 texts) vs champion 0.0 % + 1.0 % tolerance']);
    expect(f.rows[0]!.reasons.length).toBeGreaterThan(1);
    expect(f.rows.flatMap((r) => r.reasons).join(' ')).not.toMatch(/\dT\d/);
  });

  it('says when an operator moved the alias first, and keeps only the newest few', () => {
    const conflict = decision(9, '2026-11-30T12:00:00.000Z', 300, 'conflict');
    expect(decisionFigures({ model: 'm', decisions: [conflict] }, 'set').rows[0]!.outcomeText).toBe('not applied: an operator moved the alias first');
    const many = Array.from({ length: DECISIONS_SHOWN + 5 }, (_, i) => ({ ...conflict, id: i + 1, createdAt: `2026-11-${String(i + 1).padStart(2, '0')}T00:00:00.000Z` }));
    const rows = decisionFigures({ model: 'm', decisions: many }, 'set').rows;
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: DECISIONS_SHOWN }, (_, i) => DECISIONS_SHOWN + 5 - i));
  });

  it('writes ISO times in a reason as UTC words and leaves other text alone', () => {
    expect(plainReason('the champion was moved at 2026-11-30T10:05:07.123Z, after canary v2 was set at 2026-11-30T09:00:00Z: x')).toBe(
      'the champion was moved at 2026-11-30 10:05 UTC, after canary v2 was set at 2026-11-30 09:00 UTC: x',
    );
    expect(plainReason('shadow agreement 95.0 % on 150 texts')).toBe('shadow agreement 95.0 % on 150 texts');
  });

  it('says plainly why there is none yet', () => {
    expect(decisionFigures({ model: 'm', decisions: [] }, 'none').rows).toEqual([]);
    expect(noDecisionsText('none')).toMatch(/^No promotion policy is set for this model/);
    expect(noDecisionsText('set')).toMatch(/has not decided yet: it decides once an hour/);
    expect(noDecisionsText('paused')).toMatch(/paused/);
    expect(new Set((['none', 'set', 'paused', 'unknown'] as const).map(noDecisionsText)).size).toBe(4);
  });

  it('round-trips in the copy kept on this device', () => {
    const s = new MemoryStorage();
    const c: MonitorCopy = {
      at: '2026-11-30T00:00:00Z',
      model: 'm',
      evaluations: [],
      timeline: [],
      canary: { version: 2, share: 0.25, champion: 1 },
      decisions: { at: '2026-11-30T00:00:00Z', ...decisionFigures({ model: 'm', decisions: [decision(1, '2026-11-30T09:00:00.000Z', 75, 'none')] }, 'set') },
    };
    saveMonitorCopy(c, s);
    expect(loadMonitorCopy(s)).toEqual(c);
  });
});
