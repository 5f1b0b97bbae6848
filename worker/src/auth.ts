/**
 * Bearer-token checks. Guarded routes declare a role (`access(role)` in their createRoute) and `requireRole`
 * resolves the caller: REGISTRY_TOKEN is the bootstrap admin, READ_TOKEN a reader, an `se_` API key has the
 * role stored with it in D1 (worker/README.md, "Keys and roles"). Model reads (manifests, files, aliases) are
 * public; GET /metrics keeps METRICS_TOKEN.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { API_KEY_PREFIX, roleAtLeast, type ApiKeyInfo, type Role } from '@sentiment-edge/registry';
import { keyByHash, touchKey } from './db/api-keys.ts';
import type { AppEnv, Caller, Env } from './env.ts';
import { ApiError } from './errors.ts';
import { slowDownRefusedKey, slowDownWrongToken } from './rate-limit.ts';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="sentiment-edge"' };

/** Compares two strings in time independent of where they differ (and of their lengths). */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(given)),
    crypto.subtle.digest('SHA-256', enc.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

export type TokenName = 'REGISTRY_TOKEN' | 'READ_TOKEN' | 'METRICS_TOKEN' | 'FEEDBACK_TOKEN';

/** Every token the Worker knows: one of them on a public route is not a wrong token. */
const KNOWN_TOKENS: readonly TokenName[] = ['REGISTRY_TOKEN', 'READ_TOKEN', 'FEEDBACK_TOKEN', 'METRICS_TOKEN'];

/** Whether `header` carries one of the configured tokens `names` (unset ones never match). */
export async function hasToken(env: Pick<Env, TokenName>, header: string | undefined, names: readonly TokenName[] = ['REGISTRY_TOKEN']): Promise<boolean> {
  const token = bearerToken(header);
  if (token === null) return false;
  for (const n of names) {
    const expected = env[n];
    if (expected && (await tokensEqual(token, expected))) return true;
  }
  return false;
}

/**
 * Who calls a public route (/predict, POST /history, POST /feedback): null without a bearer token, else
 * the name of the configured token it carries. A token that is none of them is a wrong token and gets what
 * it gets on every route: 403, after the wrong-token limiter (repeated guesses from one address meet 429).
 */
export async function publicCaller(c: Context<AppEnv>): Promise<TokenName | 'API_KEY' | null> {
  const token = bearerToken(c.req.header('authorization'));
  if (token === null) return null;
  for (const n of KNOWN_TOKENS) {
    const expected = c.env[n];
    if (expected && (await tokensEqual(token, expected))) return n;
  }
  // A valid API key is a known caller (treated as anonymous here); an unknown, revoked or expired one is 401.
  if (looksLikeKey(token)) {
    // Known for the per-key limits of the heavy routes (/predict: rate-limit.ts limitKeyAfter).
    c.set('caller', (await keyCaller(c, token)).caller);
    return 'API_KEY';
  }
  await slowDownWrongToken(c);
  throw new ApiError(403, 'forbidden', 'the bearer token is not valid: send a valid token, or none (this route answers anonymous requests)');
}

/** 401 without a token, 403 with a wrong one, 503 while the Worker has none of the accepted tokens. */
function tokenGuard(names: readonly TokenName[], what: string): MiddlewareHandler<AppEnv> {
  const accepted = names.join(' or ');
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (bearerToken(header) === null) {
      throw new ApiError(401, 'unauthorized', `${what} needs a token: send "Authorization: Bearer <${accepted}>"`, undefined, CHALLENGE);
    }
    if (!names.some((n) => c.env[n])) {
      throw new ApiError(503, 'not_ready', `${what} is disabled: the Worker has no ${accepted} secret (wrangler secret put REGISTRY_TOKEN, or .dev.vars locally)`);
    }
    if (!(await hasToken(c.env, header, names))) {
      await slowDownWrongToken(c);
      throw new ApiError(403, 'forbidden', `the bearer token is not valid for ${what}`);
    }
    await next();
  };
}

const metricsGuard = tokenGuard(['METRICS_TOKEN'], 'GET /metrics');
/** GET /metrics: public while METRICS_TOKEN is unset, otherwise that bearer token only. */
export const requireMetricsToken: MiddlewareHandler<AppEnv> = (c, next) => (c.env.METRICS_TOKEN ? metricsGuard(c, next) : next());

// ---------------------------------------------------------------------------------------------------------
// Roles and API keys (issue 26). Each route declares its role next to its contract with `access(role)`;
// `requireRole` is the one middleware that resolves the caller and checks it.

/** How long this isolate trusts a key look-up: a revoke takes effect everywhere within this time. */
export const KEY_CACHE_MS = 5_000;
/** last_used_at is written at most this often per key and isolate. */
const TOUCH_EVERY_MS = 60_000;
const MAX_CACHED_KEYS = 1_000;

interface CachedKey {
  info: ApiKeyInfo | null;
  at: number;
  touchedAt: number;
}
const keyCache = new Map<string, CachedKey>();
let clock = () => Date.now();

/** Forgets every cached key look-up (after a revoke through this isolate; tests). */
export function forgetKeyCache(): void {
  keyCache.clear();
}
/** Tests: the clock the key cache reads (undefined: Date.now). */
export function setKeyCacheClock(now: (() => number) | undefined): void {
  clock = now ?? (() => Date.now());
}

/** A new API key: `se_` + 32 random bytes as base64url (43 characters). */
export function newApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return API_KEY_PREFIX + btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function keyHash(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The stored key for `key` (cached up to KEY_CACHE_MS), or null when unknown. */
async function lookUpKey(db: D1Database, key: string): Promise<{ hash: string; entry: CachedKey }> {
  const hash = await keyHash(key);
  const now = clock();
  let entry = keyCache.get(hash);
  if (!entry || now - entry.at >= KEY_CACHE_MS) {
    entry = { info: await keyByHash(db, hash), at: now, touchedAt: entry?.touchedAt ?? 0 };
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(hash, entry);
  }
  return { hash, entry };
}

/** Why a stored key does not work now, or null when it does. */
function keyProblem(info: ApiKeyInfo | null, nowIso: string): string | null {
  if (!info) return 'the API key is unknown';
  if (info.revokedAt !== null) return `the API key "${info.name}" was revoked`;
  if (info.expiresAt !== null && info.expiresAt <= nowIso) return `the API key "${info.name}" expired at ${info.expiresAt}`;
  return null;
}

const looksLikeKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/**
 * The caller an `se_` key names: 401 (after the wrong-token limiter) when the key is unknown, revoked or
 * expired. Writes last_used_at now and then.
 */
async function keyCaller(c: Context<AppEnv>, token: string): Promise<{ caller: Caller; touch: () => Promise<void> }> {
  const { hash, entry } = await lookUpKey(c.env.DB, token);
  const problem = keyProblem(entry.info, new Date(clock()).toISOString());
  if (problem !== null || !entry.info) {
    await slowDownRefusedKey(c, hash);
    throw new ApiError(401, 'unauthorized', `${problem}: ask an admin for a valid key (pnpm registry keys create)`, undefined, CHALLENGE);
  }
  const info = entry.info;
  return {
    caller: { name: info.name, role: info.role, models: info.models, expiresAt: info.expiresAt },
    touch: async () => {
      const now = clock();
      if (now - entry.touchedAt < TOUCH_EVERY_MS) return;
      entry.touchedAt = now;
      await touchKey(c.env.DB, info.name, new Date(now).toISOString());
    },
  };
}

/** The model a request acts on: the {name} path parameter, else the `model` query parameter. */
function requestModel(c: Context<AppEnv>): string | null {
  const name = c.req.param('name');
  if (name) return name;
  // ?model= may be a reference (NAME@VERSION, NAME@ALIAS, as POST evaluations takes): the scope is by name.
  return c.req.query('model')?.split('@')[0] ?? null;
}

/**
 * The one role guard: 401 without a token or with an unknown, revoked or expired key; 403 with a wrong
 * Worker token (as before keys existed), a role below `role`, or a model outside the key's scope; 503 while
 * the Worker has neither a secret nor a key store for it. REGISTRY_TOKEN is the admin; READ_TOKEN a reader.
 */
export function requireRole(role: Role, opts: { anyModel?: boolean } = {}): MiddlewareHandler<AppEnv> {
  const secrets: TokenName[] = role === 'reader' ? ['REGISTRY_TOKEN', 'READ_TOKEN'] : ['REGISTRY_TOKEN'];
  const accepted = `${secrets.join(' or ')} or an API key with role ${role} or above`;
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (token === null) {
      throw new ApiError(401, 'unauthorized', `this route needs a token: send "Authorization: Bearer <${accepted}>"`, undefined, CHALLENGE);
    }
    let caller: Caller | null = null;
    let touch: (() => Promise<void>) | null = null;
    if (c.env.REGISTRY_TOKEN && (await tokensEqual(token, c.env.REGISTRY_TOKEN))) caller = { name: 'REGISTRY_TOKEN', role: 'admin', models: null };
    else if (c.env.READ_TOKEN && (await tokensEqual(token, c.env.READ_TOKEN))) caller = { name: 'READ_TOKEN', role: 'reader', models: null };
    else if (looksLikeKey(token)) ({ caller, touch } = await keyCaller(c, token));
    else if (!secrets.some((n) => c.env[n])) {
      throw new ApiError(503, 'not_ready', `this route is disabled: the Worker has no ${secrets.join(' or ')} secret (wrangler secret put REGISTRY_TOKEN, or .dev.vars locally) and the token is not an API key`);
    } else {
      await slowDownWrongToken(c);
      throw new ApiError(403, 'forbidden', `the bearer token is not valid for this route`);
    }
    if (!roleAtLeast(caller.role, role)) {
      throw new ApiError(403, 'forbidden', `${caller.name} has role ${caller.role}; this route needs ${role} or above`, { role: caller.role, needs: role });
    }
    if (caller.models !== null && !opts.anyModel) {
      const model = requestModel(c);
      if (model === null || !caller.models.includes(model)) {
        throw new ApiError(403, 'forbidden', `the key "${caller.name}" is limited to ${caller.models.join(', ')}; ${model === null ? 'name the model (?model=)' : `not ${model}`}`, { models: caller.models });
      }
    }
    if (touch) await touch();
    c.set('caller', caller);
    await next();
  };
}

/**
 * A route's access declaration, spread into its createRoute: the guard, its OpenAPI security and `x-role`.
 * `anyModel`: a route about the caller itself (GET /keys/me), open to a key limited to some models (`x-any-model`).
 */
export function access(role: Role, opts: { anyModel?: boolean } = {}) {
  const security: { bearerAuth: string[] }[] = [{ bearerAuth: [] }];
  return { middleware: requireRole(role, opts), security, 'x-role': role, ...(opts.anyModel ? { 'x-any-model': true } : {}) };
}

/**
 * For routes that read their model from the body (POST evaluations): the guard checked `?model=` against the
 * key's scope; this checks the model the body names, so that a scoped key cannot name one model in the query
 * and act on another.
 */
export function checkModelScope(c: Context<AppEnv>, model: string): void {
  const who = c.get('caller');
  if (!who || who.models === null || who.models.includes(model)) return;
  throw new ApiError(403, 'forbidden', `the key "${who.name}" is limited to ${who.models.join(', ')}; not ${model}`, { models: who.models });
}

/** The caller's name for audit rows (null on routes without a role guard). */
export function callerName(c: Context<AppEnv>): string | null {
  return c.get('caller')?.name ?? null;
}

/** The caller a role guard accepted (a route with `access(role)` always has one). */
export function caller(c: Context<AppEnv>): Caller {
  const who = c.get('caller');
  if (!who) throw new Error('caller() on a route without a role guard');
  return who;
}

/**
 * Alias moves a publisher may make: set `challenger`, or the `canary` at share 0. Every other move (champion
 * above all) needs operator.
 */
export function checkAliasMove(who: Caller, alias: string, share: number | undefined): void {
  if (roleAtLeast(who.role, 'operator')) return;
  if (alias === 'challenger' || (alias === 'canary' && share === 0)) return;
  throw new ApiError(403, 'forbidden', `${who.name} has role ${who.role}: it may set challenger or a canary at share 0; moving ${alias}${alias === 'canary' ? ` to share ${share}` : ''} needs operator`, { role: who.role, needs: 'operator' });
}
