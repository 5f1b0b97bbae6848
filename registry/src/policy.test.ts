import { describe, expect, it } from 'vitest';
import { auditReason, decidePolicy, PromotionPolicy, tukeyInliers, type PromotionEvidence, type VersionEvidence } from './policy.ts';

const AT = '2026-11-10T12:00:00.000Z';
const DAY_BEFORE = '2026-11-09T10:00:00.000Z'; // 26 h before AT

const version = (v: number, extra: Partial<VersionEvidence> = {}): VersionEvidence => ({
  version: v,
  rows: 1000,
  failed: 0,
  errorRate: 0,
  estimatedAccuracy: 0.85,
  realisedAccuracy: { accuracy: 0.8, rows: 100 },
  latencyP95Ms: 4,
  sources: { edge: extra.rows ?? 1000, browser: { stored: 0, counted: 0, clientDays: 0, outlierClientDays: 0 }, failed: extra.failed ?? 0, feedback: { trusted: 100, untrusted: 0 } },
  ...extra,
});

/** A canary that looks like the champion, in place for 26 h with 500 rows and 400 shadow rows at 90 % agreement. */
function evidence(candidate: Partial<PromotionEvidence['candidate']> = {}, champion: Partial<VersionEvidence> = {}): PromotionEvidence {
  return {
    at: AT,
    candidate: { ...version(2, { rows: 500 }), alias: 'canary', since: DAY_BEFORE, shadow: { rows: 400, agreement: 0.9 }, ...candidate },
    champion: { ...version(1, champion), since: '2026-11-01T00:00:00.000Z' },
  };
}

const policy = PromotionPolicy.parse({});

describe('PromotionPolicy', () => {
  it('fills in defaults and refuses unknown fields and out-of-range values with what to do', () => {
    expect(policy).toMatchObject({ paused: false, minRows: 200, minHours: 24, conditions: { minShadowAgreement: 0.8, estimatedAccuracyTolerance: 0.02, errorRateTolerance: 0.01, latencyP95Factor: 1.5, realisedAccuracy: { minRows: 50, tolerance: 0.02 } } });
    const bad = PromotionPolicy.safeParse({ minRows: -1, conditions: { minShadowAgreement: 2, latencyP95Factor: 0.5, extra: 1 } });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(expect.arrayContaining(['minRows: minRows must be at least 1', 'conditions.minShadowAgreement: minShadowAgreement must be at most 1', 'conditions.latencyP95Factor: latencyP95Factor must be at least 1 (1 = no slower than the champion)']));
    expect(messages.some((m) => m.includes('extra'))).toBe(true);
    expect(PromotionPolicy.safeParse({ minHours: '24' }).success).toBe(false);
    expect(PromotionPolicy.parse({ conditions: { realisedAccuracy: null } }).conditions.realisedAccuracy).toBeNull();
    // Browser rows and skipped checks are off unless the operator turns them on.
    expect(policy).toMatchObject({ browserEvidence: null, allowSkippedChecks: false });
    expect(PromotionPolicy.parse({ browserEvidence: {} }).browserEvidence).toEqual({ maxRowsPerClientDay: 50 });
    expect(PromotionPolicy.safeParse({ browserEvidence: { maxRowsPerClientDay: 0 } }).success).toBe(false);
  });
});

describe('decidePolicy', () => {
  it('promotes when traffic, duration and every condition hold', () => {
    const d = decidePolicy(policy, evidence());
    expect(d.action).toBe('promote');
    expect(d.checks.map((c) => [c.check, c.passed])).toEqual([
      ['traffic', true],
      ['errorRate', true],
      ['estimatedAccuracy', true],
      ['realisedAccuracy', true],
      ['duration', true],
      ['shadowAgreement', true],
      ['latencyP95', true],
    ]);
    expect(auditReason(d, AT)).toMatch(/^policy: promoted at 2026-11-10T12:00:00.000Z: .*traffic/);
  });

  it('holds when the traffic is too thin, whatever else the figures say', () => {
    const d = decidePolicy(policy, evidence({ rows: 50, shadow: { rows: 20, agreement: 0.1 }, estimatedAccuracy: 0.2 }));
    expect(d.action).toBe('hold');
    expect(d.reasons[0]).toMatch(/^traffic too thin: canary v2 has 70 rows/);
  });

  it('holds when the candidate is too young, and says which conditions are not met yet', () => {
    const d = decidePolicy(policy, evidence({ since: '2026-11-10T02:00:00.000Z', shadow: { rows: 400, agreement: 0.7 } }));
    expect(d.action).toBe('hold');
    expect(d.reasons[0]).toMatch(/^too young: canary v2 has been in place 10.0 h; the policy needs 24 h/);
    expect(d.reasons[1]).toMatch(/^not met: shadow agreement 70.0 %/);
  });

  it('holds on low shadow agreement or a slower p95, without rolling back', () => {
    expect(decidePolicy(policy, evidence({ shadow: { rows: 400, agreement: 0.79 } })).action).toBe('hold');
    const slow = decidePolicy(policy, evidence({ latencyP95Ms: 6.5 }));
    expect(slow).toMatchObject({ action: 'hold', reasons: ['not met: p95 latency 6.50 ms vs champion 4.00 ms × 1.5'] });
  });

  it('rolls back on a higher error rate, even before the minimum duration', () => {
    const d = decidePolicy(policy, evidence({ since: '2026-11-10T11:00:00.000Z', rows: 400, failed: 100, errorRate: 0.2 }, { errorRate: 0.001 }));
    expect(d.action).toBe('rollback');
    expect(d.reasons).toEqual(['regression: error rate 20.0 % (100 of 500 texts) vs champion 0.1 % + 1.0 % tolerance']);
  });

  it('a canary that fails every request is rolled back on its failures alone', () => {
    const d = decidePolicy(policy, evidence({ rows: 0, failed: 300, errorRate: 1, estimatedAccuracy: null, latencyP95Ms: null, shadow: null }));
    expect(d.action).toBe('rollback');
  });

  it('rolls back on a lower estimated accuracy (CBPE) beyond the tolerance, not within it', () => {
    expect(decidePolicy(policy, evidence({ estimatedAccuracy: 0.8 })).action).toBe('rollback');
    expect(decidePolicy(policy, evidence({ estimatedAccuracy: 0.835 })).action).toBe('promote');
  });

  it('judges realised accuracy only with enough labels on both sides', () => {
    const worse = { realisedAccuracy: { accuracy: 0.6, rows: 100 } };
    expect(decidePolicy(policy, evidence(worse)).action).toBe('rollback');
    const few = decidePolicy(policy, evidence({ realisedAccuracy: { accuracy: 0.6, rows: 10 } }));
    expect(few.action).toBe('promote');
    expect(few.checks.find((c) => c.check === 'realisedAccuracy')).toMatchObject({ passed: null });
  });

  it('a challenger without shadow rows is held; its latency is not judged', () => {
    const d = decidePolicy(policy, evidence({ alias: 'challenger', rows: 0, latencyP95Ms: null, estimatedAccuracy: null, shadow: null, failed: 0, errorRate: null }, {}));
    expect(d.action).toBe('hold'); // 0 rows: too thin
    const shadowOnly = evidence({ alias: 'challenger', rows: 0, latencyP95Ms: null, estimatedAccuracy: 0.86, shadow: { rows: 300, agreement: 0.92 }, errorRate: 0 });
    // Its latency is not measured: promoted only where the operator said a skipped check may pass.
    expect(decidePolicy(policy, shadowOnly)).toMatchObject({ action: 'hold', reasons: [expect.stringMatching(/^not measured: p95 latency not compared: the candidate has no edge rows of its own .*allowSkippedChecks: true/)] });
    const allowed = decidePolicy({ ...policy, allowSkippedChecks: true }, shadowOnly);
    expect(allowed.action).toBe('promote');
    expect(allowed.checks.find((c) => c.check === 'latencyP95')).toMatchObject({ passed: null });
  });

  it('does not promote a canary whose agreement and latency checks were skipped (forged browser rows carry neither), unless the operator allows it or turns them off', () => {
    // The forged-rows promotion: a canary with answered rows but no shadow rows and no edge latency.
    const skipped = evidence({ shadow: null, latencyP95Ms: null });
    const d = decidePolicy(policy, skipped);
    expect(d.action).toBe('hold');
    expect(d.reasons).toEqual([expect.stringMatching(/^not measured: no shadow rows/), expect.stringMatching(/^not measured: p95 latency not compared/)]);
    expect(decidePolicy({ ...policy, allowSkippedChecks: true }, skipped).action).toBe('promote');
    const off = PromotionPolicy.parse({ conditions: { minShadowAgreement: null, latencyP95Factor: null } });
    expect(decidePolicy(off, skipped).action).toBe('promote');
  });

  it('says in the traffic check which sources were counted', () => {
    const e = evidence({ rows: 120, sources: { edge: 100, browser: { stored: 900, counted: 20, clientDays: 3, outlierClientDays: 1 }, failed: 0, feedback: { trusted: 0, untrusted: 40 } } });
    expect(decidePolicy(policy, e).checks[0]!.message).toMatch(/120 answered: 100 edge \+ 20 browser counted of 900 synced/);
  });

  it('holds when an operator moved the champion after the candidate was set', () => {
    const e = evidence();
    const d = decidePolicy(policy, { ...e, champion: { ...e.champion!, since: '2026-11-10T08:00:00.000Z' } });
    expect(d.action).toBe('hold');
    expect(d.reasons[0]).toMatch(/^the champion was moved at 2026-11-10T08:00:00.000Z, after canary v2 was set at 2026-11-09T10:00:00.000Z: the operator's move wins/);
  });

  it('a paused policy holds whatever the evidence', () => {
    const d = decidePolicy({ ...policy, paused: true }, evidence({ failed: 900, errorRate: 0.9 }));
    expect(d).toMatchObject({ action: 'hold', reasons: ['the policy is paused: nothing is moved automatically'] });
  });

  it('conditions set to null are not judged', () => {
    const off = PromotionPolicy.parse({ minRows: 1, minHours: 0, conditions: { minShadowAgreement: null, estimatedAccuracyTolerance: null, realisedAccuracy: null, errorRateTolerance: null, latencyP95Factor: null } });
    const d = decidePolicy(off, evidence({ failed: 900, errorRate: 0.9, estimatedAccuracy: 0.1, shadow: null }));
    expect(d.action).toBe('promote');
    expect(d.checks.map((c) => c.check)).toEqual(['traffic', 'duration']);
  });
});

describe('tukeyInliers', () => {
  it('leaves out client-days whose mean confidence is far outside the others, and keeps all of fewer than 4', () => {
    expect(tukeyInliers([0.8, 0.82, 0.79, 0.81, 0.8, 0.34, 0.99])).toEqual([true, true, true, true, true, false, false]);
    expect(tukeyInliers([0.8, 0.81, 0.79, 0.8])).toEqual([true, true, true, true]);
    expect(tukeyInliers([0.34, 0.99, 0.5])).toEqual([true, true, true]);
  });
});
