/**
 * Bearer-token checks. Registry writes and admin routes need REGISTRY_TOKEN; reading stored
 * predictions (history: texts people typed) needs REGISTRY_TOKEN or the read-only READ_TOKEN.
 * Model reads (manifests, files, aliases) are public.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, Env } from './env.ts';
import { ApiError } from './errors.ts';
import { slowDownWrongToken } from './rate-limit.ts';

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
export async function publicCaller(c: Context<AppEnv>): Promise<TokenName | null> {
  const token = bearerToken(c.req.header('authorization'));
  if (token === null) return null;
  for (const n of KNOWN_TOKENS) {
    const expected = c.env[n];
    if (expected && (await tokensEqual(token, expected))) return n;
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

/** Registry writes and admin routes. */
export const requireToken = tokenGuard(['REGISTRY_TOKEN'], 'this route');
/** Reading stored predictions. */
export const requireReadToken = tokenGuard(['REGISTRY_TOKEN', 'READ_TOKEN'], 'reading history');
/** Reading drift reports and alerts (GET /api/v1/drift): the same tokens as history. */
export const requireMonitorReadToken = tokenGuard(['REGISTRY_TOKEN', 'READ_TOKEN'], 'reading drift reports');
/** Reading the A/B readout (GET /api/v1/ab): the same tokens. */
export const requireAbReadToken = tokenGuard(['REGISTRY_TOKEN', 'READ_TOKEN'], 'reading A/B readouts');
const metricsGuard = tokenGuard(['METRICS_TOKEN'], 'GET /metrics');
/** GET /metrics: public while METRICS_TOKEN is unset, otherwise that bearer token only. */
export const requireMetricsToken: MiddlewareHandler<AppEnv> = (c, next) => (c.env.METRICS_TOKEN ? metricsGuard(c, next) : next());
