/** Request plumbing the serving routes share: work after the answer, error counting, the operator check, JSON bodies with a size limit. */
import { API_PREFIX } from '@sentiment-edge/registry';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { publicCaller } from '../auth.ts';
import type { AppEnv, Env } from '../env.ts';
import { ApiError } from '../errors.ts';
import { queueError } from '../serving/history.ts';

export const storeText = (env: Env) => env.STORE_TEXT === 'true';

/** Runs work after the answer (waitUntil), or inline where there is no execution context (app.request in tests). */
export function afterResponse(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((e: unknown) => console.error('background work failed', e));
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(logged);
}

/**
 * The serving route patterns whose error answers (unknown paths under them included) count in the D1
 * `metric_errors` rollup by pattern: few label values. app.ts mounts countErrors on each.
 */
export const COUNTED_ROUTES = [`${API_PREFIX}/predict`, '/predict', `${API_PREFIX}/history`, `${API_PREFIX}/model-info`, `${API_PREFIX}/admin/*`] as const;

/**
 * Counts the error responses of the routes under `route` (a pattern: few label values) for the D1
 * `metric_errors` rollup, written with this isolate's next coalesced history write.
 */
export function countErrors(route: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.res.status >= 400) {
      const write = queueError(c.env.DB, route, c.res.status);
      if (write) afterResponse(c, write);
    }
  };
}

/** Whether the request carries REGISTRY_TOKEN (403 for a wrong token: auth.ts publicCaller). */
export async function callerIsOperator(c: Context<AppEnv>): Promise<boolean> {
  return (await publicCaller(c)) === 'REGISTRY_TOKEN';
}

/** Refuses a wrong token (403) before the body is read or validated, as the serving routes always have. */
export const wrongTokenFirst: MiddlewareHandler<AppEnv> = async (c, next) => {
  await publicCaller(c);
  await next();
};

/** 413 for a body over `limit` bytes (declared or streamed), before it is parsed. */
export function jsonLimit(limit: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: limit,
    onError: (c) => {
      throw new ApiError(413, 'payload_too_large', `request body is over ${limit} bytes (content-length ${c.req.header('content-length') ?? 'not declared'})`);
    },
  });
}

/** Reads a JSON body with a size limit: 413 over the limit, 400 for malformed JSON. */
export async function readJson(c: Context<AppEnv>, limit: number): Promise<unknown> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new ApiError(413, 'payload_too_large', `request body is ${declared} bytes; the limit is ${limit}`);
  const text = await c.req.text();
  if (text.length > limit) throw new ApiError(413, 'payload_too_large', `request body is over ${limit} bytes`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`malformed JSON body: ${(e as Error).message}. Send valid JSON, e.g. {"text": "great movie"}`);
  }
}
