/**
 * One exception type for every failure a route can report, and the one place (`onError`) that
 * turns exceptions into `ApiErrorBody` responses. Routes and data functions only ever throw.
 */
import type { ApiErrorBody, ErrorCode } from '@sentiment-edge/registry';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError, type core } from 'zod';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  static notFound(message: string, details?: unknown): ApiError {
    return new ApiError(404, 'not_found', message, details);
  }
  static conflict(message: string, details?: unknown): ApiError {
    return new ApiError(409, 'conflict', message, details);
  }
  static badRequest(message: string, details?: unknown): ApiError {
    return new ApiError(400, 'bad_request', message, details);
  }
  /**
   * A zod failure as the one error: 400 validation_failed with every issue, or 413 payload_too_large when
   * an issue says so (`params: { status: 413, details }`: too many or too long texts).
   */
  static validation(issues: readonly core.$ZodIssue[], what = 'request'): ApiError {
    const tooLarge = issues.find((i) => i.code === 'custom' && (i.params as { status?: number } | undefined)?.status === 413);
    if (tooLarge) return new ApiError(413, 'payload_too_large', tooLarge.message, (tooLarge as { params?: { details?: unknown } }).params?.details);
    const details = issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code, message: i.message }));
    const first = details[0];
    const summary = first ? `${first.path || '(root)'}: ${first.message}` : 'invalid input';
    return new ApiError(400, 'validation_failed', `invalid ${what}: ${summary}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, details);
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ApiErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** The app's single error handler. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof ZodError) {
    const e = ApiError.validation(err.issues);
    return c.json(errorBody(e.code, e.message, e.details), 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    // Hono's own and @hono/zod-openapi's: malformed JSON bodies (400), body limits (413), a body type the route does not declare (415), …
    const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 401 ? 'unauthorized' : status < 500 ? 'bad_request' : 'internal';
    const message =
      status === 400 && /JSON/i.test(err.message)
        ? `malformed JSON body: ${err.message}. Send valid JSON with content-type: application/json.`
        : status === 415
          ? `this route does not take a ${JSON.stringify(c.req.header('content-type') ?? 'body without a content-type')} body: send JSON with Content-Type: application/json`
          : err.message || 'request failed';
    return c.json(errorBody(code, message), status);
  }
  console.error('unhandled error', c.req.method, c.req.path, err);
  return c.json(errorBody('internal', 'internal error; the details are in the Worker log'), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}; the API is described at /openapi.json and /docs`), 404);
}
