/**
 * Drift-triggered retraining. When the hourly job opens a drift alert for a model
 * (run.ts), or, with RETRAIN_SCHEDULE_HOURS > 0, when the model's last dispatch is that old, the Worker
 * POSTs a CI dispatch in GitHub's `repository_dispatch` shape to RETRAIN_DISPATCH_URL:
 *
 *   Authorization: Bearer RETRAIN_DISPATCH_TOKEN
 *   {"event_type": "retrain", "client_payload": {"model", "reason": "drift" | "schedule", "report"}}
 *
 * (.github/workflows/train-publish.yml listens for `repository_dispatch: types: [retrain]`: train → gate →
 * publish, the new version arriving as challenger for the promotion policy to judge.) At most one
 * dispatch per model per RETRAIN_COOLDOWN_HOURS: the `retrain_dispatches` row is claimed (db/promotion.ts) by one
 * conditional INSERT before the request is sent, so overlapping runs cannot both send. A failed
 * dispatch does not count against the cooldown (the next run tries again).
 */
import type { DriftReport } from '@sentiment-edge/registry';
import { claimRetrainDispatch, finishRetrainDispatch, modelsDueForRetraining } from '../db/promotion.ts';
import type { RetrainConfig } from './config.ts';
import { postWithRetries, type DeliverOptions, type PostOutcome } from './webhook.ts';

export type RetrainReason = 'drift' | 'schedule';

export interface RetrainOutcome {
  model: string;
  reason: RetrainReason;
  /** skipped: another dispatch of this model is younger than the cooldown. */
  status: PostOutcome['status'] | 'skipped';
  id: number | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

/** The dispatch body (what the CI receives as `github.event.client_payload`). */
export function retrainPayload(model: string, reason: RetrainReason, report: DriftReport | null) {
  return {
    event_type: 'retrain',
    client_payload: {
      model,
      reason,
      report: report && {
        id: report.id ?? null,
        version: report.model.version,
        createdAt: report.createdAt,
        window: report.window,
        rows: report.rows,
        driftedFeatures: report.driftedFeatures,
        url: `/api/v1/drift?model=${encodeURIComponent(model)}`,
      },
    },
  };
}

/** Claims and sends one dispatch for `model`, unless one (not failed) is younger than the cooldown. */
export async function dispatchRetrain(db: D1Database, cfg: RetrainConfig, model: string, reason: RetrainReason, report: DriftReport | null, now: number, opts: DeliverOptions = {}): Promise<RetrainOutcome> {
  const at = new Date(now).toISOString();
  const since = new Date(now - cfg.cooldownHours * 3_600_000).toISOString();
  const claimed = await claimRetrainDispatch(db, model, at, reason, report?.id ?? null, since);
  if (claimed === null) return { model, reason, status: 'skipped', id: null, attempts: 0, lastStatus: null, lastError: null };

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/vnd.github+json', 'user-agent': 'sentiment-edge-retrain' };
  if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
  const outcome = await postWithRetries(cfg.url, JSON.stringify(retrainPayload(model, reason, report)), headers, cfg, opts);
  await finishRetrainDispatch(db, claimed, outcome);
  if (outcome.status === 'failed') console.warn(`retrain dispatch for ${model} failed after ${outcome.attempts} attempts (${outcome.lastError})`);
  return { model, reason, id: claimed, ...outcome };
}

/**
 * The run's dispatches: one per model whose drift reports opened an alert now (the first such report
 * goes in the payload), then, with a schedule, one per model with a champion whose last dispatch is
 * older than RETRAIN_SCHEDULE_HOURS.
 */
export async function retrainAfterMonitor(db: D1Database, cfg: RetrainConfig, reports: readonly DriftReport[], now: number, opts: DeliverOptions = {}): Promise<RetrainOutcome[]> {
  const out: RetrainOutcome[] = [];
  const drifted = new Map<string, DriftReport>();
  for (const r of reports) if (r.alerts.opened.length > 0 && !drifted.has(r.model.name)) drifted.set(r.model.name, r);
  for (const [model, report] of drifted) out.push(await dispatchRetrain(db, cfg, model, 'drift', report, now, opts));
  if (cfg.scheduleHours > 0) {
    const due = await modelsDueForRetraining(db, new Date(now - cfg.scheduleHours * 3_600_000).toISOString());
    for (const name of due) if (!drifted.has(name)) out.push(await dispatchRetrain(db, cfg, name, 'schedule', null, now, opts));
  }
  return out;
}
