/**
 * Per-client request limits with the Workers Rate Limiting binding ([[ratelimits]] in wrangler.toml),
 * keyed by the client's address (CF-Connecting-IP). Requests that carry REGISTRY_TOKEN are the
 * operator's own (CI, benchmarks) and are not limited; a wrong token is limited separately, so
 * guessing tokens is slowed down. The binding counts per Cloudflare location and is eventually
 * consistent: a limit against abuse, not an exact quota. /predict asks it after answering (no latency
 * on the hot path: locally the binding is a Durable Object round trip of several ms) and refuses a
 * client from its next request on; the other routes ask before doing the work.
 */
import type { Context } from 'hono';
import type { AppEnv, Caller, Env } from './env.ts';
import { ApiError } from './errors.ts';

export type LimiterName = 'PREDICT_LIMITER' | 'HISTORY_LIMITER' | 'AUTH_LIMITER' | 'HEAVY_LIMITER';

/** The period (seconds) of each limiter, as wrangler.toml declares it: the Retry-After of a 429. */
export const LIMIT_PERIOD_S: Record<LimiterName, number> = { PREDICT_LIMITER: 10, HISTORY_LIMITER: 60, AUTH_LIMITER: 60, HEAVY_LIMITER: 60 };

/** Units per period of each limiter, as wrangler.toml declares it: no request is charged more than this plus one. */
export const LIMIT_UNITS: Record<LimiterName, number> = { PREDICT_LIMITER: 300, HISTORY_LIMITER: 30, AUTH_LIMITER: 20, HEAVY_LIMITER: 60 };

/**
 * What a heavy route costs in units of HEAVY_LIMITER (60 per 60 s): an evaluation (scores up to
 * MAX_EVALUATION_ROWS texts inline) and a feedback export (up to 100,000 rows) 10, a page of history 1.
 */
export const HEAVY_COST = { evaluation: 10, feedbackExport: 10, historyPage: 1 } as const;

/** Texts that make one unit of the predict limit. */
export const TEXTS_PER_UNIT = 16;
/** Characters (UTF-16 code units, after trimming) that make one unit of the predict limit. */
export const CHARS_PER_UNIT = 2_000;

/**
 * What a /predict request costs, in units of PREDICT_LIMITER: ceil(texts / 16) or ceil(characters / 2,000),
 * whichever is more. Scoring time grows with the characters (tokens), so 256 texts of 5,000 characters
 * cost 640 units (more than a whole period's 300), 16 short texts 1.
 */
export function predictCost(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.max(1, Math.ceil(texts.length / TEXTS_PER_UNIT), Math.ceil(chars / CHARS_PER_UNIT));
}

const WHAT: Record<LimiterName, string> = {
  PREDICT_LIMITER: 'predictions',
  HISTORY_LIMITER: 'history uploads',
  AUTH_LIMITER: 'attempts with a wrong token',
  HEAVY_LIMITER: 'evaluations, feedback exports and history reads',
};

/**
 * Clients this isolate has seen over a limit, until when (ms): their next requests are refused at once,
 * without asking the binding and without doing the work.
 */
const limitedUntil = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

/**
 * Counts `units` against `limiter` for this request's client; throws 429 (with Retry-After) when the
 * client is over its limit. No-op when the binding is not configured or the request has no client
 * address (only local tools and tests send requests that did not pass Cloudflare's edge).
 */
export async function limitClient(env: Env, request: Request, limiter: LimiterName, units = 1, now = Date.now()): Promise<void> {
  refuseRemembered(env, request, limiter, now);
  if (!(await countClient(env, request, limiter, units, now))) throw limited(limiter, LIMIT_PERIOD_S[limiter]);
}

/**
 * Counts `units` against `limiter` for this request's client and remembers a client found over its
 * limit. Resolves to false when it is over. For the hot path, run it after the answer (waitUntil):
 * the client is then refused from its next request on (refuseRemembered), one request late.
 */
export async function countClient(env: Env, request: Request, limiter: LimiterName, units = 1, now = Date.now()): Promise<boolean> {
  return countKey(env, limiter, request.headers.get('cf-connecting-ip'), units, now);
}

/** countClient for any key (an address, or `key:<sha256>` for an API key); null: not counted. */
async function countKey(env: Env, limiter: LimiterName, key: string | null, units = 1, now = Date.now()): Promise<boolean> {
  const binding = env[limiter];
  if (!binding || !key) return true;
  // The binding counts one unit per call: a cost beyond the whole limit needs no more calls than it takes to exceed it.
  const calls = Math.min(Math.max(1, units), LIMIT_UNITS[limiter] + 1);
  const results = await Promise.all(Array.from({ length: calls }, () => binding.limit({ key })));
  if (results.every((r) => r.success)) return true;
  if (limitedUntil.size >= MAX_REMEMBERED) for (const [k, t] of limitedUntil) if (t <= now) limitedUntil.delete(k);
  if (limitedUntil.size < MAX_REMEMBERED) limitedUntil.set(`${limiter}:${key}`, now + LIMIT_PERIOD_S[limiter] * 1000);
  return false;
}

/** Throws 429 at once, synchronously, for a client this isolate saw over `limiter`'s limit within its period. */
export function refuseRemembered(env: Env, request: Request, limiter: LimiterName, now = Date.now()): void {
  const key = request.headers.get('cf-connecting-ip');
  if (!env[limiter] || !key) return;
  const until = limitedUntil.get(`${limiter}:${key}`);
  if (until !== undefined && until > now) throw limited(limiter, Math.ceil((until - now) / 1000));
}

function limited(limiter: LimiterName, retry: number): ApiError {
  return new ApiError(429, 'rate_limited', `too many ${WHAT[limiter]} from your address; wait ${retry} s and try again (requests with the registry token are not limited)`, { limiter, retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
}

// ---- per API key (issue 26): the heavy routes count a key's requests under its name as well as per address.

/** An API key's caller (the Worker secrets' names end in _TOKEN, which key names may not). */
const isApiKey = (who: Caller | undefined): who is Caller => who !== undefined && !who.name.endsWith('_TOKEN');
const keyId = (who: Caller) => `key:${who.name}`;

function limitedKeyName(limiter: LimiterName, name: string, retry: number): ApiError {
  return new ApiError(429, 'rate_limited', `too many ${WHAT[limiter]} with the API key "${name}" (from any address); wait ${retry} s and try again`, { limiter, key: name, retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
}

/** Throws 429 at once for an API key this isolate saw over `limiter`'s limit within its period. */
function refuseRememberedKey(env: Env, who: Caller, limiter: LimiterName, now: number): void {
  if (!env[limiter]) return;
  const until = limitedUntil.get(`${limiter}:${keyId(who)}`);
  if (until !== undefined && until > now) throw limitedKeyName(limiter, who.name, Math.ceil((until - now) / 1000));
}

/**
 * A heavy route (POST evaluations, feedback export, GET history): counts `units` against `limiter` for the
 * request's address and, when the caller is an API key, for the key itself (from every address). 429 when
 * either is over. Requests with REGISTRY_TOKEN are the operator's own and not limited.
 */
export async function limitCaller(c: Context<AppEnv>, limiter: LimiterName, units = 1, now = Date.now()): Promise<void> {
  const who = c.get('caller');
  if (who?.name === 'REGISTRY_TOKEN') return;
  await limitClient(c.env, c.req.raw, limiter, units, now);
  if (!isApiKey(who)) return;
  refuseRememberedKey(c.env, who, limiter, now);
  if (!(await countKey(c.env, limiter, keyId(who), units, now))) throw limitedKeyName(limiter, who.name, LIMIT_PERIOD_S[limiter]);
}

/**
 * /predict with an API key: refuses at once a key this isolate saw over PREDICT_LIMITER, and returns the
 * count to run after the answer (as the per-address count), or null for other callers.
 */
export function limitKeyAfter(c: Context<AppEnv>, units: number, now = Date.now()): Promise<boolean> | null {
  const who = c.get('caller');
  if (!isApiKey(who)) return null;
  refuseRememberedKey(c.env, who, 'PREDICT_LIMITER', now);
  return countKey(c.env, 'PREDICT_LIMITER', keyId(who), units, now);
}

/** Called before answering 403 to a wrong token: repeated wrong tokens from one address meet 429. */
export function slowDownWrongToken(c: Context<AppEnv>): Promise<void> {
  return limitClient(c.env, c.req.raw, 'AUTH_LIMITER');
}

/**
 * Called before answering 401 to an unknown, revoked or expired API key: besides its address (slowDownWrongToken),
 * the key itself counts against AUTH_LIMITER, so a leaked revoked key tried from many addresses meets 429 too.
 */
export async function slowDownRefusedKey(c: Context<AppEnv>, keySha256: string, now = Date.now()): Promise<void> {
  // As for addresses: only requests that passed Cloudflare's edge (they carry CF-Connecting-IP) are counted.
  if (!c.req.header('cf-connecting-ip')) return;
  const key = `key:${keySha256}`;
  const until = limitedUntil.get(`AUTH_LIMITER:${key}`);
  if (c.env.AUTH_LIMITER && until !== undefined && until > now) throw limitedKey(Math.ceil((until - now) / 1000));
  if (!(await countKey(c.env, 'AUTH_LIMITER', key, 1, now))) throw limitedKey(LIMIT_PERIOD_S.AUTH_LIMITER);
  await slowDownWrongToken(c);
}

function limitedKey(retry: number): ApiError {
  return new ApiError(429, 'rate_limited', `too many attempts with this refused API key; wait ${retry} s and use a valid key`, { limiter: 'AUTH_LIMITER', retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
}
