/**
 * The closed loop, run by the hourly Cron Trigger (index.ts `scheduled`): the monitoring job (run.ts:
 * reports, alerts, retention), then a retraining dispatch for each model whose drift opened an alert
 * (or whose scheduled retraining is due; retrain.ts), then the promotion policies (promotion.ts).
 * A failed retraining dispatch is logged and does not stop the promotion policies.
 */
import type { PromotionDecision } from '@sentiment-edge/registry';
import type { Env } from '../env.ts';
import { monitorConfig } from './config.ts';
import { runPromotions, type PromotionRunOptions } from './promotion.ts';
import { retrainAfterMonitor, type RetrainOutcome } from './retrain.ts';
import { runMonitor, type MonitorOptions, type MonitorRun } from './run.ts';

export interface LoopRun {
  monitor: MonitorRun;
  retrain: RetrainOutcome[];
  decisions: PromotionDecision[];
}

export async function runLoop(env: Env, opts: MonitorOptions & Pick<PromotionRunOptions, 'beforeApply'> = {}): Promise<LoopRun> {
  const now = opts.now ?? Date.now();
  const deliver = { ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.sleep ? { sleep: opts.sleep } : {}) };
  const monitor = await runMonitor(env, { ...opts, now });
  const config = monitorConfig(env);
  let retrain: RetrainOutcome[] = [];
  if (config.retrain) {
    try {
      retrain = await retrainAfterMonitor(env.DB, config.retrain, monitor.reports, now, deliver);
    } catch (e) {
      console.error('retraining dispatch failed', e);
    }
  }
  const decisions = await runPromotions(env.DB, config.webhook, { ...deliver, now, ...(opts.beforeApply ? { beforeApply: opts.beforeApply } : {}) });
  return { monitor, retrain, decisions };
}
