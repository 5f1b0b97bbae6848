/**
 * OpenAPI (zod) schemas for request parts and responses. Request bodies reuse the registry's own
 * schemas (ManifestDraft, AliasName, …); response schemas mirror the TypeScript types of
 * registry/src/api.ts for documentation.
 */
import { z } from '@hono/zod-openapi';
import type { Manifest } from '@sentiment-edge/registry';
import { AliasName, Evaluation, MAX_VERSION, ModelFile, ModelName, parseVersionText, ReferenceProfile, SuiteRecord, TrainingInfo, Version, VERSION_TEXT_PATTERN, VersionStatus } from '@sentiment-edge/registry';

export const NameParam = z.object({
  name: ModelName,
});

/** A version in a URL path: decimal digits only (no "0x1", "1e0", "01"), 1..MAX_VERSION. */
export const VersionNumber = z
  .string()
  .regex(VERSION_TEXT_PATTERN, `a version is a whole number from 1 to ${MAX_VERSION} in decimal digits without leading zeros`)
  .transform(Number)
  .pipe(Version)
  .openapi({ param: { name: 'version', in: 'path' }, type: 'integer', example: 1 });

export const VersionParams = z.object({
  name: ModelName,
  version: VersionNumber,
});

export const RefParams = z.object({
  name: ModelName,
  ref: z
    .string()
    .regex(/^([1-9][0-9]{0,9}|[a-z][a-z0-9_-]{0,31})$/, 'a ref is a version number (decimal, no leading zeros) or an alias name')
    .refine((r) => !/^[0-9]/.test(r) || parseVersionText(r) !== null, `versions go up to ${MAX_VERSION}`)
    .openapi({ param: { name: 'ref', in: 'path' }, example: 'champion' }),
});

export const AliasParams = z.object({
  name: ModelName,
  alias: AliasName,
});

export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .openapi('Error');

export const ManifestSchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    labels: z.array(z.string()),
    files: z.array(ModelFile),
    evaluation: Evaluation,
    /** The evaluation suite's summary, when the publisher ran it. */
    suite: SuiteRecord.optional(),
    /** The reference profile for drift monitoring (token counts, unknown-token share, confidence, label mix on the evaluation data). */
    profile: ReferenceProfile.optional(),
    training: TrainingInfo.extend({ params: z.record(z.string(), z.any()) }).nullable(),
    createdAt: z.string(),
    status: VersionStatus,
    bytes: z.number().int(),
  })
  .openapi('Manifest');

export const ModelSummarySchema = z
  .object({
    name: z.string(),
    versionCount: z.number().int(),
    latestVersion: z.number().int().nullable(),
    aliases: z.record(z.string(), z.number().int()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ModelSummary');

export const AliasRecordSchema = z
  .object({ name: z.string(), alias: z.string(), version: z.number().int(), updatedAt: z.string(), share: z.number().optional().openapi({ description: 'Only on the canary alias: the share (0–1) of the champion traffic it serves' }) })
  .openapi('AliasRecord');

export const AliasEventSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    alias: z.string(),
    fromVersion: z.number().int().nullable(),
    toVersion: z.number().int().nullable(),
    at: z.string(),
    reason: z.string().nullable(),
    share: z.number().optional().openapi({ description: 'The canary share after the move (canary moves only)' }),
    actor: z.string().nullable().openapi({ description: "who moved it: 'operator' (a request with the token), 'policy' (the hourly promotion policy); null before this was recorded" }),
  })
  .openapi('AliasEvent');

export const SetAliasBody = z
  .object({
    version: Version,
    expectedVersion: Version.nullable().optional(),
    reason: z.string().max(500).optional(),
    share: z.number().optional().openapi({ description: 'Required on (and only on) the canary alias: the share (0–1) of the champion traffic (edge /predict for NAME or NAME@champion, and the PWA) it serves, by a stable hash of the client key', example: 0.1 }),
    expectedShare: z.number().optional().openapi({ description: 'Canary only, with expectedVersion: the share it must have now (compare-and-set)' }),
  })
  .openapi('SetAliasRequest');

export const UploadFileResponseSchema = z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() }).openapi('UploadFileResponse');

export const HealthSchema = z.object({ status: z.enum(['ok', 'degraded']), version: z.string(), time: z.string() }).openapi('HealthResponse');

export const ReadySchema = z
  .object({ ready: z.boolean(), checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })) })
  .openapi('ReadyResponse');

/** Standard error responses, for route definitions. */
export function errors(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 429 | 503)[]) {
  const text: Record<number, string> = {
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
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s] ?? 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

export type ManifestJson = z.infer<typeof ManifestSchema>;
/** Manifest → its response-schema type (training.params is `unknown` in the registry type, `any` here). */
export const manifestJson = (m: Manifest): ManifestJson => m;

/**
 * A query parameter holding a whole number from 1 to `max` in plain decimal digits (Number() would also
 * take "0x10", "1e1" and " 5"), as a number.
 */
export function wholeNumberParam(name: string, max: number) {
  return z
    .string()
    .regex(new RegExp(`^[1-9][0-9]{0,${String(max).length - 1}}$`), `${name} is a whole number from 1 to ${max} in decimal digits`)
    .transform(Number)
    .pipe(z.number().max(max));
}
