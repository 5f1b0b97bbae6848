/**
 * The monitoring settings (Worker vars, see the README's configuration table), read once per run.
 * A value that is not a number in its range is ignored with a warning in the Worker's log and its
 * default used: a typo in wrangler.toml must not stop the hourly job.
 */
import { DEFAULT_DRIFT_THRESHOLDS } from '@sentiment-edge/registry';
import type { Env } from '../env.ts';

export interface MonitorConfig {
  windowHours: number;
  minRows: number;
  psiThreshold: number;
  pValue: number;
  shadowRate: number;
  historyDays: number;
  /** Minutes after which a run still 'running' is failed (EVALUATION_TIMEOUT_MINUTES). */
  evaluationTimeoutMinutes: number;
  webhook: { url: string; secret: string | null; attempts: number; backoffMs: number } | null;
  /** Retraining dispatch (RETRAIN_DISPATCH_URL; null: off). */
  retrain: RetrainConfig | null;
}

export interface RetrainConfig {
  url: string;
  /** RETRAIN_DISPATCH_TOKEN, sent as `Authorization: Bearer …` (null: no header, with a warning). */
  token: string | null;
  /** At most one dispatch per model per this many hours (RETRAIN_COOLDOWN_HOURS). */
  cooldownHours: number;
  /** Also dispatch when the last one is this many hours old, drift or not (RETRAIN_SCHEDULE_HOURS; 0 = only on drift). */
  scheduleHours: number;
  attempts: number;
  backoffMs: number;
}

export const MONITOR_DEFAULTS = {
  windowHours: 24,
  minRows: 200,
  psiThreshold: DEFAULT_DRIFT_THRESHOLDS.psi,
  pValue: DEFAULT_DRIFT_THRESHOLDS.pValue,
  shadowRate: 0.1,
  historyDays: 90,
  evaluationTimeoutMinutes: 60,
  webhookAttempts: 4,
  webhookBackoffMs: 1000,
  retrainCooldownHours: 24,
  retrainScheduleHours: 0,
} as const;

function num(name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    console.warn(`${name}=${JSON.stringify(raw)} is not ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}; using ${fallback}`);
    return fallback;
  }
  return v;
}

export function monitorConfig(env: Env): MonitorConfig {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  let webhook: MonitorConfig['webhook'] = null;
  if (url) {
    if (!/^https?:\/\//.test(url)) console.warn(`ALERT_WEBHOOK_URL must be an http(s) URL; alerts are not sent`);
    else {
      if (!env.ALERT_WEBHOOK_SECRET) console.warn('ALERT_WEBHOOK_SECRET is not set: alert webhooks are sent unsigned');
      webhook = {
        url,
        secret: env.ALERT_WEBHOOK_SECRET || null,
        attempts: num('ALERT_WEBHOOK_ATTEMPTS', env.ALERT_WEBHOOK_ATTEMPTS, MONITOR_DEFAULTS.webhookAttempts, 1, 10, true),
        backoffMs: num('ALERT_WEBHOOK_BACKOFF_MS', env.ALERT_WEBHOOK_BACKOFF_MS, MONITOR_DEFAULTS.webhookBackoffMs, 0, 60_000, true),
      };
    }
  }
  const retrainUrl = env.RETRAIN_DISPATCH_URL?.trim();
  let retrain: RetrainConfig | null = null;
  if (retrainUrl) {
    if (!/^https?:\/\//.test(retrainUrl)) console.warn('RETRAIN_DISPATCH_URL must be an http(s) URL; retraining is not dispatched');
    else {
      if (!env.RETRAIN_DISPATCH_TOKEN) console.warn('RETRAIN_DISPATCH_TOKEN is not set: retraining dispatches are sent without Authorization');
      retrain = {
        url: retrainUrl,
        token: env.RETRAIN_DISPATCH_TOKEN || null,
        cooldownHours: num('RETRAIN_COOLDOWN_HOURS', env.RETRAIN_COOLDOWN_HOURS, MONITOR_DEFAULTS.retrainCooldownHours, 0, 24 * 365),
        scheduleHours: num('RETRAIN_SCHEDULE_HOURS', env.RETRAIN_SCHEDULE_HOURS, MONITOR_DEFAULTS.retrainScheduleHours, 0, 24 * 365),
        attempts: num('ALERT_WEBHOOK_ATTEMPTS', env.ALERT_WEBHOOK_ATTEMPTS, MONITOR_DEFAULTS.webhookAttempts, 1, 10, true),
        backoffMs: num('ALERT_WEBHOOK_BACKOFF_MS', env.ALERT_WEBHOOK_BACKOFF_MS, MONITOR_DEFAULTS.webhookBackoffMs, 0, 60_000, true),
      };
    }
  }
  return {
    retrain,
    windowHours: num('DRIFT_WINDOW_HOURS', env.DRIFT_WINDOW_HOURS, MONITOR_DEFAULTS.windowHours, 1, 24 * 90),
    minRows: num('DRIFT_MIN_ROWS', env.DRIFT_MIN_ROWS, MONITOR_DEFAULTS.minRows, 1, 1e9, true),
    psiThreshold: num('DRIFT_PSI_THRESHOLD', env.DRIFT_PSI_THRESHOLD, MONITOR_DEFAULTS.psiThreshold, 0, 100),
    pValue: num('DRIFT_P_VALUE', env.DRIFT_P_VALUE, MONITOR_DEFAULTS.pValue, 0, 1),
    shadowRate: shadowRate(env),
    historyDays: num('HISTORY_DAYS', env.HISTORY_DAYS, MONITOR_DEFAULTS.historyDays, 1, 36_500, true),
    evaluationTimeoutMinutes: num('EVALUATION_TIMEOUT_MINUTES', env.EVALUATION_TIMEOUT_MINUTES, MONITOR_DEFAULTS.evaluationTimeoutMinutes, 1, 7 * 24 * 60, true),
    webhook,
  };
}

/** SHADOW_RATE alone (read on the /predict path, so without the rest). */
export function shadowRate(env: Pick<Env, 'SHADOW_RATE'>): number {
  return num('SHADOW_RATE', env.SHADOW_RATE, MONITOR_DEFAULTS.shadowRate, 0, 1);
}
