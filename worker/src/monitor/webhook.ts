/**
 * Alert webhooks: POST the alert as JSON to ALERT_WEBHOOK_URL with
 * `X-Sentiment-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under ALERT_WEBHOOK_SECRET>`
 * (the scheme GitHub and MLflow use; Web Crypto, constant-time to verify with crypto.subtle.verify).
 * Each alert is delivered at most once: its `alert_deliveries` row is inserted before the first
 * attempt, and an alert that already has one is skipped. Attempts are retried with exponential
 * backoff on network errors and non-2xx answers; after the last one the row says `failed`.
 */
import type { MonitorConfig } from './config.ts';
import { claimDelivery, recordDelivery } from '../db/drift.ts';

export const SIGNATURE_HEADER = 'X-Sentiment-Signature-256';
export const DELIVERY_HEADER = 'X-Sentiment-Delivery';
/** How long one attempt may take. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `sha256=${hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(body)))}`;
}

export interface DeliveryOutcome {
  alertId: number;
  status: 'delivered' | 'failed' | 'skipped';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

export interface DeliverOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => string;
}

/** Delivers one alert's payload (see the module comment). */
export async function deliverAlert(db: D1Database, webhook: NonNullable<MonitorConfig['webhook']>, alertId: number, payload: unknown, opts: DeliverOptions = {}): Promise<DeliveryOutcome> {
  const now = opts.now ?? (() => new Date().toISOString());
  if (!(await claimDelivery(db, alertId, webhook.url, now()))) return { alertId, status: 'skipped', attempts: 0, lastStatus: null, lastError: null };

  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'sentiment-edge-alerts', [DELIVERY_HEADER]: String(alertId) };
  if (webhook.secret) headers[SIGNATURE_HEADER] = await signBody(webhook.secret, body);
  const outcome = await postWithRetries(webhook.url, body, headers, webhook, opts, (attempt, lastStatus, lastError) => recordDelivery(db, alertId, 'sending', attempt, lastStatus, lastError, now()));
  await recordDelivery(db, alertId, outcome.status, outcome.attempts, outcome.lastStatus, outcome.lastError, now());
  if (outcome.status === 'failed') console.warn(`alert ${alertId}: webhook ${webhook.url} failed after ${webhook.attempts} attempts (${outcome.lastError})`);
  return { alertId, ...outcome };
}

export interface PostOutcome {
  status: 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

/**
 * POSTs `body` until a 2xx answer or `attempts` tries, waiting backoffMs · 2^k between them, each try
 * with a WEBHOOK_TIMEOUT_MS timeout. `onFailedAttempt` runs after each failed try. Shared by alert
 * webhooks, promotion-decision webhooks and retraining dispatches.
 */
export async function postWithRetries(
  url: string,
  body: string,
  headers: Record<string, string>,
  retry: { attempts: number; backoffMs: number },
  opts: DeliverOptions = {},
  onFailedAttempt?: (attempt: number, lastStatus: number | null, lastError: string | null) => Promise<void>,
): Promise<PostOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let lastStatus: number | null = null;
  let lastError: string | null = null;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    if (attempt > 1) await sleep(retry.backoffMs * 2 ** (attempt - 2));
    try {
      const res = await doFetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
      lastStatus = res.status;
      await res.body?.cancel();
      if (res.ok) return { status: 'delivered', attempts: attempt, lastStatus, lastError: null };
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastStatus = null;
      lastError = e instanceof Error ? e.message : String(e);
    }
    await onFailedAttempt?.(attempt, lastStatus, lastError);
  }
  return { status: 'failed', attempts: retry.attempts, lastStatus, lastError };
}
