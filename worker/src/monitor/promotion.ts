/**
 * The promotion policy in the hourly job. For each model with a policy
 * (`promotion_policies`): the candidate is its `canary` alias if it has one, else its `challenger`;
 * the evidence since the candidate's alias was set is read (evidence.ts), the pure decision made
 * (registry/src/policy.ts `decidePolicy`), and carried out with compare-and-set:
 *
 * - promote: champion := candidate and the candidate's alias removed, in one transaction, only while
 *   both aliases still point where the evidence saw them (db/aliases.ts `promoteAlias`); the champion's
 *   audit row records the previous champion, so `pnpm registry rollback NAME` undoes it;
 * - roll back: the candidate's alias removed, only while it still points at the candidate;
 * - hold: nothing moves.
 *
 * A manual override always wins: an operator who moved either alias after the evidence was read makes
 * the compare-and-set fail, and the decision is stored with outcome `conflict` (nothing moved); one who
 * moved the champion after the candidate was set makes the policy hold until the candidate is set again. Every
 * decision is stored (db/promotion.ts `promotion_decisions`, GET /api/v1/models/{name}/decisions); promote and roll
 * back decisions (applied or not) are POSTed to ALERT_WEBHOOK_URL, signed like drift alerts.
 */
import { auditReason, decidePolicy, PromotionPolicy, type Decision, type DecisionOutcome, type PromotionDecision, type PromotionEvidence } from '@sentiment-edge/registry';
import { deleteAlias, listAliases, promoteAlias } from '../db/aliases.ts';
import { getPolicy, listPolicyModels, setDecisionWebhook, storeDecision } from '../db/promotion.ts';
import { ApiError } from '../errors.ts';
import type { MonitorConfig } from './config.ts';
import { readEvidence } from './evidence.ts';
import { DELIVERY_HEADER, postWithRetries, SIGNATURE_HEADER, signBody, type DeliverOptions } from './webhook.ts';

export const POLICY_ACTOR = 'policy';

// ---- one model -----------------------------------------------------------------------------------

export interface Evaluation {
  name: string;
  policy: PromotionPolicy;
  candidate: { alias: 'canary' | 'challenger'; version: number; since: string };
  champion: number | null;
  evidence: PromotionEvidence;
  decision: Decision;
}

/** Reads the aliases and the evidence, and decides; null when the model has no candidate (or it is the champion). */
export async function evaluatePolicy(db: D1Database, name: string, policy: PromotionPolicy, at: string): Promise<Evaluation | null> {
  const aliases = new Map((await listAliases(db, name)).map((a) => [a.alias, a]));
  const championAlias = aliases.get('champion') ?? null;
  const champion = championAlias?.version ?? null;
  const alias = aliases.has('canary') ? 'canary' : aliases.has('challenger') ? 'challenger' : null;
  if (!alias) return null;
  const record = aliases.get(alias)!;
  if (record.version === champion) return null;
  const candidate = { alias, version: record.version, since: record.updatedAt } as const;
  const evidence = await readEvidence(db, name, candidate, championAlias && { version: championAlias.version, since: championAlias.updatedAt }, at, policy.browserEvidence);
  return { name, policy, candidate, champion, evidence, decision: decidePolicy(policy, evidence) };
}

/** Carries the decision out with compare-and-set; 'conflict' when an alias moved since the evidence was read. */
export async function applyDecision(db: D1Database, e: Evaluation, at: string): Promise<DecisionOutcome> {
  const reason = auditReason(e.decision, at);
  if (e.decision.action === 'promote') {
    const moved = await promoteAlias(db, { name: e.name, from: e.candidate.alias, version: e.candidate.version, expectedChampion: e.champion, reason, actor: POLICY_ACTOR }, at);
    return moved ? 'applied' : 'conflict';
  }
  if (e.decision.action === 'rollback') {
    try {
      await deleteAlias(db, e.name, e.candidate.alias, reason, at, { expectedVersion: e.candidate.version, actor: POLICY_ACTOR });
      return 'applied';
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 404)) return 'conflict';
      throw err;
    }
  }
  return 'none';
}

/** The webhook body of a promote / roll back decision. */
export function decisionPayload(d: PromotionDecision) {
  const verb = d.action === 'promote' ? `promoted ${d.candidate.alias} v${d.candidate.version} to champion (was v${d.championVersion ?? '–'})` : `rolled back ${d.candidate.alias} v${d.candidate.version}`;
  return {
    type: 'promotion_decision',
    decision: { id: d.id, action: d.action, outcome: d.outcome, createdAt: d.createdAt, reasons: d.reasons },
    model: { name: d.model, candidate: d.candidate, championVersion: d.championVersion },
    message:
      d.outcome === 'applied'
        ? `${d.model}: the promotion policy ${verb}. Undo: pnpm registry rollback ${d.model}${d.action === 'promote' ? '' : ` ${d.candidate.alias} (or set-alias)`}`
        : `${d.model}: the promotion policy would have ${verb}, but an operator moved the alias first; nothing was moved`,
    url: `/api/v1/models/${encodeURIComponent(d.model)}/decisions`,
  };
}

// ---- the hourly run ------------------------------------------------------------------------------

export interface PromotionRunOptions extends Omit<DeliverOptions, 'now'> {
  now?: number;
  /** Runs between reading the evidence and moving the alias (tests use it to move an alias at that moment). */
  beforeApply?: (e: Evaluation) => Promise<void>;
}

/** Decides and acts for every model with a policy; one model's failure is logged and does not stop the others. */
export async function runPromotions(db: D1Database, webhook: MonitorConfig['webhook'], opts: PromotionRunOptions = {}): Promise<PromotionDecision[]> {
  const at = new Date(opts.now ?? Date.now()).toISOString();
  const out: PromotionDecision[] = [];
  for (const name of await listPolicyModels(db)) {
    try {
      const stored = await getPolicy(db, name);
      if (!stored) continue;
      const e = await evaluatePolicy(db, name, stored.policy, at);
      if (!e) continue;
      await opts.beforeApply?.(e);
      const outcome = await applyDecision(db, e, at);
      const id = await storeDecision(db, { ...e, outcome, at });
      const decision: PromotionDecision = {
        id,
        model: name,
        createdAt: at,
        candidate: { name, version: e.candidate.version, alias: e.candidate.alias },
        championVersion: e.champion,
        outcome,
        ...e.decision,
        evidence: e.evidence,
        policy: e.policy,
        webhook: null,
      };
      if (webhook && decision.action !== 'hold') {
        const body = JSON.stringify(decisionPayload(decision));
        const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'sentiment-edge-alerts', [DELIVERY_HEADER]: `decision-${id}` };
        if (webhook.secret) headers[SIGNATURE_HEADER] = await signBody(webhook.secret, body);
        const sent = await postWithRetries(webhook.url, body, headers, webhook, { ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.sleep ? { sleep: opts.sleep } : {}) });
        decision.webhook = sent.status;
        await setDecisionWebhook(db, id, sent.status);
      }
      out.push(decision);
    } catch (err) {
      console.error(`promotion policy: ${name} failed`, err);
    }
  }
  return out;
}
