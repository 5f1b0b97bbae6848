// The promotion policy in the hourly job, on local D1 through the Worker's own scheduled handler:
// promote / hold / roll back from seeded history, shadow and feedback rows; compare-and-set against
// manual moves (a manual override always wins, none is ever lost); the audit rows, the stored
// decisions, the signed webhook; `pnpm registry rollback`'s code undoing a policy promotion. The policy
// routes, retention of decisions and version errors, and a broken version's error count:
// promotion-records.test.ts.
import { RegistryClient, rollbackAlias, type PromotionDecision, type PromotionPolicyInput } from '@sentiment-edge/registry';
import { env, exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callJson, TOKEN, uniqueName } from '../../test/helpers.ts';
import { HOUR, publishVersion, recordWebhooks, REFERENCE, runScheduled, sample, seedHistory, SECRET, verifySignature } from '../../test/monitor.ts';
import { runPromotions } from './promotion.ts';
import { recordVersionError } from '../db/promotion.ts';
import { SIGNATURE_HEADER } from './webhook.ts';

const POLICY: PromotionPolicyInput = { minRows: 200, minHours: 24, conditions: { realisedAccuracy: { minRows: 20, tolerance: 0.05 } } };
const HOOK = { ALERT_WEBHOOK_URL: 'https://hooks.test/policy', ALERT_WEBHOOK_SECRET: SECRET };

afterEach(() => {
  vi.unstubAllGlobals();
});

interface Setup {
  name: string;
  champion: number;
  candidate: number;
  /** When the candidate alias was set (≈ now). */
  since: number;
}

/** champion v1 and a candidate v2 under `alias` (set now), both published with the reference profile. */
async function setup(prefix: string, alias: 'canary' | 'challenger' = 'canary', policy: PromotionPolicyInput | null = POLICY): Promise<Setup> {
  const name = uniqueName(prefix);
  const champion = await publishVersion(name, 'champion', REFERENCE);
  const candidate = await publishVersion(name, alias, REFERENCE);
  if (policy) expect((await callJson('PUT', `/api/v1/models/${name}/policy`, { body: policy })).status).toBe(200);
  return { name, champion, candidate, since: Date.now() };
}

/** `rows` of seeded history for each version, `shadow` rows of the candidate on champion texts (agreeing at `agreement`), in the hour before `at`. */
async function traffic(s: Setup, at: number, o: { championRows?: number; candidateRows?: number; shadow?: number; agreement?: number; candidateConfidence?: (c: number) => number; feedback?: { champion: number; candidate: number; of: number } } = {}) {
  const champ = await seedHistory(s.name, s.champion, sample(o.championRows ?? 400, 21), at);
  const mine = sample(o.candidateRows ?? 300, 22).map((r) => ({ ...r, confidence: o.candidateConfidence ? o.candidateConfidence(r.confidence) : r.confidence }));
  const cand = o.candidateRows === 0 ? [] : await seedHistory(s.name, s.candidate, mine, at);
  const n = Math.min(o.shadow ?? 0, champ.length);
  if (n > 0) {
    const agree = Math.round(n * (o.agreement ?? 0.9));
    const tuples = champ.slice(0, n).map((r, i) => [r.id, r.createdAt, s.name, s.champion, s.candidate, r.label, i < agree ? r.label : r.label === 'positive' ? 'negative' : 'positive', r.score]);
    await env.DB.prepare(
      `INSERT INTO shadow_predictions (id, created_at, model_name, champion_version, challenger_version, champion_label, challenger_label, challenger_score)
       SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]', value ->> '$[6]', value ->> '$[7]' FROM json_each(?1)`,
    )
      .bind(JSON.stringify(tuples))
      .run();
  }
  if (o.feedback) {
    // `of` labelled rows each; the first `champion` / `candidate` of them confirm the model's label, the rest correct it.
    const items = [...champ.slice(0, o.feedback.of).map((r, i) => ({ r, ok: i < o.feedback!.champion })), ...cand.slice(0, o.feedback.of).map((r, i) => ({ r, ok: i < o.feedback!.candidate }))].map(({ r, ok }) => ({
      predictionId: r.id,
      label: ok ? r.label : r.label === 'positive' ? 'negative' : 'positive',
    }));
    expect((await callJson('POST', '/api/v1/feedback', { body: { items } })).status).toBe(200);
  }
}

const aliases = async (name: string) => Object.fromEntries(((await callJson('GET', `/api/v1/models/${name}/aliases`)).body.aliases as { alias: string; version: number }[]).map((a) => [a.alias, a.version]));
const decisions = async (name: string): Promise<PromotionDecision[]> => {
  const r = await callJson('GET', `/api/v1/models/${name}/decisions`);
  expect(r.status).toBe(200);
  return r.body.decisions;
};
const history = async (name: string, alias: string) => (await callJson('GET', `/api/v1/models/${name}/aliases/${alias}/history`)).body.events as { fromVersion: number | null; toVersion: number | null; reason: string | null; actor: string | null }[];
const client = () => new RegistryClient({ baseUrl: 'http://registry.test', token: TOKEN, fetch: (input, init) => exports.default.fetch(new Request(input, init)) });

describe('the promotion policy in the hourly job', () => {
  it('promotes a canary whose conditions hold: CAS move with an audit reason, decision stored, signed webhook; pnpm registry rollback undoes it', async () => {
    const s = await setup('promote');
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300, agreement: 0.9, feedback: { champion: 24, candidate: 25, of: 30 } });
    const hooks = recordWebhooks(() => 200);
    await runScheduled(at, HOOK);

    expect(await aliases(s.name)).toEqual({ champion: s.candidate });
    const [d] = await decisions(s.name);
    expect(d).toMatchObject({ action: 'promote', outcome: 'applied', candidate: { alias: 'canary', version: s.candidate }, championVersion: s.champion, webhook: 'delivered' });
    expect(d!.checks.map((c) => [c.check, c.passed])).toEqual([
      ['traffic', true],
      ['errorRate', true],
      ['estimatedAccuracy', true],
      ['realisedAccuracy', true],
      ['duration', true],
      ['shadowAgreement', true],
      ['latencyP95', true],
    ]);
    expect(d!.evidence.candidate).toMatchObject({ rows: 300, failed: 0, shadow: { rows: 300, agreement: 0.9 }, realisedAccuracy: { rows: 30 } });
    expect(d!.evidence.champion).toMatchObject({ rows: 400, realisedAccuracy: { accuracy: 0.8, rows: 30 } });

    const [move] = await history(s.name, 'champion');
    expect(move).toMatchObject({ fromVersion: s.champion, toVersion: s.candidate, actor: 'policy' });
    expect(move!.reason).toMatch(/^policy: promoted at .*: canary v2 has 600 rows of traffic/);
    expect((await history(s.name, 'canary'))[0]).toMatchObject({ fromVersion: s.candidate, toVersion: null, actor: 'policy' });

    const mine = hooks.filter((h) => h.body.includes(s.name));
    expect(mine.length).toBe(1);
    expect(await verifySignature(SECRET, mine[0]!.body, mine[0]!.headers.get(SIGNATURE_HEADER))).toBe(true);
    expect(JSON.parse(mine[0]!.body)).toMatchObject({ type: 'promotion_decision', decision: { action: 'promote', outcome: 'applied' }, model: { name: s.name } });

    // The registry CLI's rollback (registry/src/rollback.ts) restores the previous champion.
    const plan = await rollbackAlias(client(), s.name);
    expect(plan).toMatchObject({ from: s.candidate, to: s.champion });
    expect(await aliases(s.name)).toEqual({ champion: s.champion });
    expect((await history(s.name, 'champion'))[0]).toMatchObject({ toVersion: s.champion, actor: 'operator' });
  });

  it('promotes a shadow-only challenger on its agreement and CBPE where the operator allows its unmeasured latency', async () => {
    const s = await setup('shadowonly', 'challenger', { ...POLICY, allowSkippedChecks: true });
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { candidateRows: 0, shadow: 300, agreement: 0.85 });
    await runScheduled(at);
    const [d] = await decisions(s.name);
    expect(d).toMatchObject({ action: 'promote', outcome: 'applied', candidate: { alias: 'challenger' } });
    expect(d!.checks.find((c) => c.check === 'latencyP95')).toMatchObject({ passed: null });
    expect(await aliases(s.name)).toEqual({ champion: s.candidate });
  });

  it('holds while the traffic is too thin or the canary too young, moving nothing and sending nothing', async () => {
    const young = await setup('young');
    await traffic(young, young.since + 3 * HOUR, { shadow: 300 });
    const thin = await setup('thin');
    await traffic(thin, thin.since + 26 * HOUR, { candidateRows: 60, shadow: 40 });
    const hooks = recordWebhooks(() => 200);
    // (Each run judges every model with a policy: the young canary first, before a later run finds it old enough.)
    await runScheduled(young.since + 3 * HOUR, HOOK);
    const [y] = await decisions(young.name);
    expect(y).toMatchObject({ action: 'hold', outcome: 'none', webhook: null });
    expect(y!.reasons[0]).toMatch(/^too young: canary v2 has been in place 3.0 h; the policy needs 24 h/);
    expect(await aliases(young.name)).toEqual({ champion: young.champion, canary: young.candidate });

    await runScheduled(thin.since + 26 * HOUR, HOOK);
    const [t] = await decisions(thin.name);
    expect(t).toMatchObject({ action: 'hold', outcome: 'none', webhook: null });
    expect(t!.reasons[0]).toMatch(/^traffic too thin: canary v2 has 100 rows .* the policy needs 200/);
    expect(await aliases(thin.name)).toEqual({ champion: thin.champion, canary: thin.candidate });
    expect(hooks.filter((h) => h.body.includes(thin.name))).toEqual([]);
  });

  it('rolls back a canary with a higher error rate, before the minimum duration', async () => {
    const s = await setup('errors');
    const at = s.since + 2 * HOUR;
    await traffic(s, at, { shadow: 300 });
    await recordVersionError(env.DB, s.name, s.candidate, 40, new Date(at - 30 * 60_000));
    const hooks = recordWebhooks(() => 200);
    await runScheduled(at, HOOK);

    const [d] = await decisions(s.name);
    expect(d).toMatchObject({ action: 'rollback', outcome: 'applied', webhook: 'delivered' });
    expect(d!.reasons).toEqual([expect.stringMatching(/^regression: error rate 11.8 % \(40 of 340 texts\) vs champion 0.0 % \+ 1.0 % tolerance/)]);
    expect(await aliases(s.name)).toEqual({ champion: s.champion });
    expect((await history(s.name, 'canary'))[0]).toMatchObject({ fromVersion: s.candidate, toVersion: null, actor: 'policy', reason: expect.stringMatching(/^policy: rolled back/) });
    expect(JSON.parse(hooks.find((h) => h.body.includes(s.name))!.body)).toMatchObject({ decision: { action: 'rollback', outcome: 'applied' } });
    // `pnpm registry rollback NAME canary` undoes the automatic roll back: the canary is set again.
    expect(await rollbackAlias(client(), s.name, 'canary')).toMatchObject({ from: null, to: s.candidate });
    expect(await aliases(s.name)).toEqual({ champion: s.champion, canary: s.candidate });
  });

  it('rolls back a canary with a lower estimated accuracy (CBPE)', async () => {
    const s = await setup('cbpe');
    const at = s.since + 26 * HOUR;
    // The canary's confidences squeezed towards 0.5: mean ≈ 0.58 against the champion's ≈ 0.83.
    await traffic(s, at, { shadow: 300, candidateConfidence: (c) => 0.5 + (c - 0.5) * 0.25 });
    await runScheduled(at);
    const [d] = await decisions(s.name);
    expect(d).toMatchObject({ action: 'rollback', outcome: 'applied' });
    expect(d!.reasons[0]).toMatch(/^regression: estimated accuracy \(CBPE\)/);
    expect(await aliases(s.name)).toEqual({ champion: s.champion });
  });

  it('rolls back a canary whose realised accuracy from feedback is lower, with enough labels', async () => {
    const s = await setup('realised');
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300, feedback: { champion: 27, candidate: 18, of: 30 } });
    await runScheduled(at);
    const [d] = await decisions(s.name);
    expect(d).toMatchObject({ action: 'rollback', reasons: [expect.stringMatching(/^regression: realised accuracy 60.0 % \(30 labels\) vs champion 90.0 %/)] });
  });

  it('holds, whatever the evidence, while the policy is paused', async () => {
    const s = await setup('paused', 'canary', { ...POLICY, paused: true });
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300 });
    await recordVersionError(env.DB, s.name, s.candidate, 500, new Date(at - 60_000));
    await runScheduled(at);
    expect((await decisions(s.name))[0]).toMatchObject({ action: 'hold', reasons: ['the policy is paused: nothing is moved automatically'] });
    expect(await aliases(s.name)).toEqual({ champion: s.champion, canary: s.candidate });
  });

  it('a model without a policy, or without a candidate, gets no decision', async () => {
    const none = await setup('nopolicy', 'canary', null);
    await traffic(none, none.since + 26 * HOUR, { shadow: 300 });
    await runScheduled(none.since + 26 * HOUR);
    expect(await decisions(none.name)).toEqual([]);
    expect(await aliases(none.name)).toEqual({ champion: none.champion, canary: none.candidate });
  });
});

describe('manual moves win over the policy (compare-and-set)', () => {
  it('an operator who moves the champion after the policy read the evidence wins; the automatic move is dropped and recorded as a conflict', async () => {
    const s = await setup('override');
    const third = await publishVersion(s.name, 'spare', REFERENCE);
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300 });
    const out = await runPromotions(env.DB, null, {
      now: at,
      beforeApply: async (e) => {
        if (e.name !== s.name) return;
        expect(e.decision.action).toBe('promote');
        expect((await callJson('PUT', `/api/v1/models/${s.name}/aliases/champion`, { body: { version: third, reason: 'operator: hotfix' } })).status).toBe(200);
      },
    });
    expect(out.find((d) => d.model === s.name)).toMatchObject({ action: 'promote', outcome: 'conflict' });
    expect(await aliases(s.name)).toMatchObject({ champion: third, canary: s.candidate });
    expect((await history(s.name, 'champion'))[0]).toMatchObject({ toVersion: third, actor: 'operator', reason: 'operator: hotfix' });
    expect((await decisions(s.name))[0]).toMatchObject({ outcome: 'conflict' });
  });

  it('an operator who moves the canary after the policy read it wins too: nothing is promoted', async () => {
    const s = await setup('override2');
    const third = await publishVersion(s.name, 'spare', REFERENCE);
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300 });
    await runPromotions(env.DB, null, {
      now: at,
      beforeApply: async (e) => {
        if (e.name === s.name) expect((await callJson('PUT', `/api/v1/models/${s.name}/aliases/canary`, { body: { version: third, share: 0.1 } })).status).toBe(200);
      },
    });
    expect(await aliases(s.name)).toMatchObject({ champion: s.champion, canary: third });
    expect((await decisions(s.name))[0]).toMatchObject({ action: 'promote', outcome: 'conflict' });
  });

  it('an operator who moved the champion after the canary was set makes the policy hold until the canary is set again', async () => {
    const s = await setup('moved');
    const third = await publishVersion(s.name, 'spare', REFERENCE);
    const at = s.since + 26 * HOUR;
    await traffic(s, at, { shadow: 300 });
    expect((await callJson('PUT', `/api/v1/models/${s.name}/aliases/champion`, { body: { version: third } })).status).toBe(200);
    await runScheduled(at);
    expect((await decisions(s.name))[0]).toMatchObject({ action: 'hold', outcome: 'none', reasons: [expect.stringMatching(/the operator's move wins; set the canary again/)] });
    expect(await aliases(s.name)).toMatchObject({ champion: third, canary: s.candidate });
  });

  it('concurrent manual and automatic moves never lose one: 8 rounds of a manual champion move racing a promotion', async () => {
    const s = await setup('race');
    const third = await publishVersion(s.name, 'spare', REFERENCE);
    await traffic(s, s.since + 26 * HOUR, { shadow: 300 });
    const outcomes: string[] = [];
    for (let round = 0; round < 8; round++) {
      // Reset: champion v1, canary v2 (set now, so the seeded window still covers it).
      expect((await callJson('PUT', `/api/v1/models/${s.name}/aliases/champion`, { body: { version: s.champion } })).status).toBe(200);
      expect((await callJson('PUT', `/api/v1/models/${s.name}/aliases/canary`, { body: { version: s.candidate, share: 0.1 } })).status).toBe(200);
      const before = (await history(s.name, 'champion')).length;
      // Rounds 0-3 start the manual move 0, 4, 16, 64 ms after the policy's run, rounds 4-7 the policy's run
      // 1, 4, 16, 64 ms after the manual move: the operator lands after the policy's move, or before its read.
      const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const delay = [0, 4, 16, 64][round % 4]!;
      const [manual, auto] = await Promise.all([
        wait(round < 4 ? delay : 0).then(() => callJson('PUT', `/api/v1/models/${s.name}/aliases/champion`, { body: { version: third, reason: `manual ${round}` } })),
        wait(round < 4 ? 0 : Math.max(1, delay)).then(() => runPromotions(env.DB, null, { now: Date.now() + 27 * HOUR })),
      ]);
      expect(manual.status).toBe(200);
      const decision = auto.find((d) => d.model === s.name)!;
      // promote (applied or conflict), or hold when the policy read the champion after the operator had moved it.
      expect(decision.action === 'promote' || (decision.action === 'hold' && decision.reasons[0]!.includes("the operator's move wins"))).toBe(true);
      outcomes.push(`${decision.action}:${decision.outcome}`);
      const events = (await history(s.name, 'champion')).slice(0, (await history(s.name, 'champion')).length - before).reverse();
      // The manual move is always in the log; the policy's only when it was applied; the alias ends where the log ends.
      expect(events.filter((e) => e.actor === 'operator' && e.reason === `manual ${round}`).length).toBe(1);
      expect(events.filter((e) => e.actor === 'policy').length).toBe(decision.outcome === 'applied' ? 1 : 0);
      for (let i = 1; i < events.length; i++) expect(events[i]!.fromVersion).toBe(events[i - 1]!.toVersion);
      const now = await aliases(s.name);
      expect(now.champion).toBe(events.at(-1)!.toVersion);
      // Whoever came first, the operator's version is champion at the end: either the policy saw it and stood back, or it moved first and was overridden.
      expect(now.champion).toBe(third);
    }
    expect(outcomes.every((o) => ['promote:applied', 'promote:conflict', 'hold:none'].includes(o))).toBe(true);
  });
});
