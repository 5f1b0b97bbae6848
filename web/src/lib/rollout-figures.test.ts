import { describe, expect, it } from 'vitest';
import { decidePolicy, PromotionPolicy, type PromotionDecision, type PromotionEvidence } from '@sentiment-edge/registry';
import { loadMonitorCopy, saveMonitorCopy, type MonitorCopy } from './monitor-figures.ts';
import { abFigures, abPair, canaryShare, canaryShareText, decisionFigures, DECISIONS_SHOWN, noDecisionsText, plainReason } from './rollout-figures.ts';
import { MemoryStorage } from '../../test/memory-storage.ts';

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

