/** Response entries for route definitions: a JSON body with its schema, and the standard error responses. */
import { ErrorResponse } from '@sentiment-edge/registry';
import type { z } from 'zod';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 429 | 503;

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'Invalid request (validation_failed, bad_request, sha256_mismatch)',
  401: 'No bearer token (unauthorized)',
  403: 'Wrong bearer token (forbidden)',
  404: 'Not found',
  409: 'Conflict (conflict, upload_incomplete)',
  413: 'Payload too large',
  415: 'The body is not declared as JSON (unsupported_media_type): send Content-Type: application/json',
  416: 'Range not satisfiable (range_not_satisfiable)',
  429: 'Too many requests from this client (rate_limited); Retry-After says when to try again',
  503: 'Not ready (Retry-After says when to try again)',
};

/** The error responses a route can give, each in the one error shape. */
export function errors(...statuses: ErrorStatus[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s], content: { 'application/json': { schema: ErrorResponse } } }]));
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** Bearer-token routes: the token check and its OpenAPI security entry. */
export const bearer = [{ bearerAuth: [] }];
