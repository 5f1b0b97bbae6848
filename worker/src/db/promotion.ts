/**
 * The promotion tables (migrations/0008_promotion_policy.sql): `promotion_policies` (one JSON policy per
 * model), `promotion_decisions` (every decision of the hourly job), `version_errors` (the failed texts a
 * version's error rate counts) and `retrain_dispatches` (at most one dispatch per model per cooldown).
 */
import { PromotionPolicy, type Decision, type DecisionOutcome, type PromotionDecision, type PromotionEvidence } from '@sentiment-edge/registry';

// ---- policies ------------------------------------------------------------------------------------

/** A stored policy, when it was set and by whom (the caller's name; absent on policies set before it was recorded). */
export interface StoredPolicy {
  policy: PromotionPolicy;
  updatedAt: string;
  updatedBy?: string;
}

export async function putPolicy(db: D1Database, name: string, policy: PromotionPolicy, updatedBy: string | null = null, now = new Date().toISOString()): Promise<StoredPolicy> {
  await db
    .prepare(
      `INSERT INTO promotion_policies (model_name, policy, paused, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (model_name) DO UPDATE SET policy = excluded.policy, paused = excluded.paused, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    )
    .bind(name, JSON.stringify(policy), policy.paused ? 1 : 0, now, updatedBy)
    .run();
  return { policy, updatedAt: now, ...(updatedBy !== null ? { updatedBy } : {}) };
}

export async function getPolicy(db: D1Database, name: string): Promise<StoredPolicy | null> {
  const row = await db.prepare(`SELECT policy, updated_at, updated_by FROM promotion_policies WHERE model_name = ?1`).bind(name).first<{ policy: string; updated_at: string; updated_by: string | null }>();
  // Parsed again so that a policy stored before a new field existed gets that field's default.
  return row ? { policy: PromotionPolicy.parse(JSON.parse(row.policy)), updatedAt: row.updated_at, ...(row.updated_by !== null ? { updatedBy: row.updated_by } : {}) } : null;
}

/** The models that have a policy, by name. */
export async function listPolicyModels(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare(`SELECT model_name FROM promotion_policies ORDER BY model_name`).all<{ model_name: string }>();
  return results.map((r) => r.model_name);
}

// ---- decisions -----------------------------------------------------------------------------------

/** A decision as the hourly job stores it. */
export interface StoredDecisionInput {
  name: string;
  at: string;
  candidate: { alias: 'canary' | 'challenger'; version: number };
  champion: number | null;
  decision: Decision;
  outcome: DecisionOutcome;
  evidence: PromotionEvidence;
  policy: PromotionPolicy;
}

/** Stores one decision; returns its id. */
export async function storeDecision(db: D1Database, e: StoredDecisionInput): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO promotion_decisions (model_name, created_at, candidate_alias, candidate_version, champion_version, action, outcome, reasons, checks, evidence, policy)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id`,
    )
    .bind(e.name, e.at, e.candidate.alias, e.candidate.version, e.champion, e.decision.action, e.outcome, JSON.stringify(e.decision.reasons), JSON.stringify(e.decision.checks), JSON.stringify(e.evidence), JSON.stringify(e.policy))
    .first<{ id: number }>();
  return row!.id;
}

/** Records whether a decision's webhook was delivered. */
export async function setDecisionWebhook(db: D1Database, id: number, status: 'delivered' | 'failed'): Promise<void> {
  await db.prepare(`UPDATE promotion_decisions SET webhook_status = ?2 WHERE id = ?1`).bind(id, status).run();
}

interface DecisionRow {
  id: number;
  model_name: string;
  created_at: string;
  candidate_alias: 'canary' | 'challenger';
  candidate_version: number;
  champion_version: number | null;
  action: PromotionDecision['action'];
  outcome: DecisionOutcome;
  reasons: string;
  checks: string;
  evidence: string;
  policy: string;
  webhook_status: 'delivered' | 'failed' | null;
}

/** The model's decisions, newest first. */
export async function listDecisions(db: D1Database, name: string, n: number): Promise<PromotionDecision[]> {
  const { results } = await db.prepare(`SELECT * FROM promotion_decisions WHERE model_name = ?1 ORDER BY id DESC LIMIT ?2`).bind(name, n).all<DecisionRow>();
  return results.map((r) => ({
    id: r.id,
    model: r.model_name,
    createdAt: r.created_at,
    candidate: { name: r.model_name, version: r.candidate_version, alias: r.candidate_alias },
    championVersion: r.champion_version,
    action: r.action,
    outcome: r.outcome,
    reasons: JSON.parse(r.reasons) as string[],
    checks: JSON.parse(r.checks) as Decision['checks'],
    evidence: JSON.parse(r.evidence) as PromotionEvidence,
    policy: JSON.parse(r.policy) as PromotionPolicy,
    webhook: r.webhook_status,
  }));
}

// ---- version errors ------------------------------------------------------------------------------
/**
 * Failures per model version (`version_errors`), the error rate the promotion policy
 * compares: texts a version failed to answer on /predict after the request was resolved to it (its
 * model did not load or its inference threw), and texts a challenger failed to score while shadow
 * scoring. Counted per UTC minute, one upsert per failure, written after the answer (waitUntil): a
 * failing version is rare, so there is nothing to coalesce.
 */

/** Adds `texts` failed texts for name@version in the minute of `at`. */
export async function recordVersionError(db: D1Database, name: string, version: number, texts: number, at = new Date()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO version_errors (minute, model_name, model_version, count) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (minute, model_name, model_version) DO UPDATE SET count = version_errors.count + excluded.count`,
    )
    .bind(at.toISOString().slice(0, 16) + 'Z', name, version, texts)
    .run();
}

/** Failed texts of name@version from the minute of `start` (inclusive) to `end` (exclusive). */
export async function countVersionErrors(db: D1Database, name: string, version: number, start: string, end: string): Promise<number> {
  const row = await db
    .prepare(`SELECT TOTAL(count) AS n FROM version_errors WHERE model_name = ?1 AND model_version = ?2 AND minute >= ?3 AND minute < ?4`)
    .bind(name, version, start.slice(0, 16) + 'Z', end.slice(0, 16) + 'Z')
    .first<{ n: number }>();
  return Number(row?.n ?? 0);
}

// ---- retraining dispatches -----------------------------------------------------------------------

/**
 * Claims a dispatch for `model` by one conditional INSERT, unless one (not failed) is younger than
 * `since`; returns its id, or null when another dispatch holds the cooldown.
 */
export async function claimRetrainDispatch(db: D1Database, model: string, at: string, reason: string, reportId: number | null, since: string): Promise<number | null> {
  const claimed = await db
    .prepare(
      `INSERT INTO retrain_dispatches (model_name, created_at, reason, status, report_id)
       SELECT ?1, ?2, ?3, 'sending', ?4
       WHERE NOT EXISTS (SELECT 1 FROM retrain_dispatches WHERE model_name = ?1 AND created_at > ?5 AND status != 'failed')
       RETURNING id`,
    )
    .bind(model, at, reason, reportId, since)
    .first<{ id: number }>();
  return claimed?.id ?? null;
}

/** Records how a dispatch ended (the error cut to 500 characters). */
export async function finishRetrainDispatch(db: D1Database, id: number, o: { status: string; attempts: number; lastStatus: number | null; lastError: string | null }): Promise<void> {
  await db
    .prepare(`UPDATE retrain_dispatches SET status = ?2, attempts = ?3, last_status = ?4, last_error = ?5 WHERE id = ?1`)
    .bind(id, o.status, o.attempts, o.lastStatus, o.lastError?.slice(0, 500) ?? null)
    .run();
}

/** Models with a champion whose last dispatch (not failed) is not younger than `due`, by name. */
export async function modelsDueForRetraining(db: D1Database, due: string): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT a.name FROM aliases a WHERE a.alias = 'champion'
           AND NOT EXISTS (SELECT 1 FROM retrain_dispatches d WHERE d.model_name = a.name AND d.created_at > ?1 AND d.status != 'failed')
         ORDER BY a.name`,
    )
    .bind(due)
    .all<{ name: string }>();
  return results.map((r) => r.name);
}
