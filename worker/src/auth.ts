/** Bearer-token check for registry writes. Reads are public. */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';

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

/** 401 without a token, 403 with a wrong one, 503 while the Worker has no REGISTRY_TOKEN. */
export const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  if (token === null) {
    throw new ApiError(401, 'unauthorized', 'this route needs a token: send "Authorization: Bearer <REGISTRY_TOKEN>"', undefined, CHALLENGE);
  }
  const expected = c.env.REGISTRY_TOKEN;
  if (!expected) {
    throw new ApiError(503, 'not_ready', 'registry writes are disabled: the Worker has no REGISTRY_TOKEN secret (wrangler secret put REGISTRY_TOKEN, or .dev.vars locally)');
  }
  if (!(await tokensEqual(token, expected))) {
    throw new ApiError(403, 'forbidden', 'the bearer token is not valid for this registry');
  }
  await next();
};
