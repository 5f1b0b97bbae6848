/**
 * The registry's HTTP contract as zod schemas: path parameters, request bodies and responses of the model,
 * version, file, alias and ops routes. The Worker validates requests and generates /openapi.json from these
 * objects (`.meta` carries the OpenAPI names, descriptions and examples); clients get their types from
 * `z.infer`. Runtime constants the PWA needs (API_PREFIX, routes) live in api.ts, so that importing them does
 * not pull zod into its bundle.
 */
import { z } from 'zod';
import { AliasName, Evaluation, ModelFile, ModelName, SuiteRecord, TrainingInfo, Version, VersionStatus, type Manifest } from './manifest.ts';
import { ReferenceProfile } from './drift.ts';
import { MAX_VERSION, parseVersionText, VERSION_TEXT_PATTERN } from './names.ts';

/** The one error shape (ApiErrorBody in api.ts types its codes). */
export const ErrorResponse = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });

export const NameParam = z.object({ name: ModelName });

/** A version as URL text (path or query): decimal digits only (no "0x1", "1e0", "01"), 1..MAX_VERSION, as a number. */
export const VersionText = z
  .string()
  .regex(VERSION_TEXT_PATTERN, `a version is a whole number from 1 to ${MAX_VERSION} in decimal digits without leading zeros`)
  .transform(Number)
  .pipe(Version);

/** The `{version}` path parameter. */
export const VersionNumber = VersionText.meta({ param: { name: 'version', in: 'path' }, type: 'integer', example: 1 });

export const VersionParams = z.object({ name: ModelName, version: VersionNumber });

export const RefParams = z.object({
  name: ModelName,
  ref: z
    .string()
    .regex(/^([1-9][0-9]{0,9}|[a-z][a-z0-9_-]{0,31})$/, 'a ref is a version number (decimal, no leading zeros) or an alias name')
    .refine((r) => !/^[0-9]/.test(r) || parseVersionText(r) !== null, `versions go up to ${MAX_VERSION}`)
    .meta({ param: { name: 'ref', in: 'path' }, example: 'champion' }),
});

export const AliasParams = z.object({ name: ModelName, alias: AliasName });

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

/** A version as the registry serves it (the Manifest type of manifest.ts, with training.params open). */
export const ManifestJson = z
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
    createdBy: z.string().optional().meta({ description: "Who created the version: the API key's name, or 'REGISTRY_TOKEN'" }),
  })
  .meta({ id: 'Manifest' });

export const ModelSummary = z
  .object({
    name: z.string(),
    /** Number of ready (finalized, not archived) versions. */
    versionCount: z.number().int(),
    latestVersion: z.number().int().nullable(),
    /** alias → version */
    aliases: z.record(z.string(), z.number().int()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ModelSummary' });
export type ModelSummary = z.infer<typeof ModelSummary>;

export const ListModelsResponse = z.object({ models: z.array(ModelSummary) });
export type ListModelsResponse = z.infer<typeof ListModelsResponse>;

export const ListVersionsResponse = z.object({ versions: z.array(ManifestJson) });
/** (The versions are typed as manifest.ts's Manifest, whose training.params is `unknown`.) */
export type ListVersionsResponse = { versions: Manifest[] };

export const CreateVersionResponse = z.object({
  manifest: ManifestJson,
  /** Relative URLs (under API_PREFIX) to PUT each file's bytes to. */
  uploads: z.array(z.object({ path: z.string(), url: z.string() })),
});
export type CreateVersionResponse = Omit<z.infer<typeof CreateVersionResponse>, 'manifest'> & { manifest: Manifest };

export const UploadFileResponse = z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() }).meta({ id: 'UploadFileResponse' });
export type UploadFileResponse = z.infer<typeof UploadFileResponse>;

export const AliasRecord = z
  .object({
    name: z.string(),
    alias: z.string(),
    version: z.number().int(),
    updatedAt: z.string(),
    share: z.number().optional().meta({ description: 'Only on the canary alias: the share (0–1) of the champion traffic it serves' }),
  })
  .meta({ id: 'AliasRecord' });
export type AliasRecord = z.infer<typeof AliasRecord>;

export const AliasEvent = z
  .object({
    id: z.number().int(),
    name: z.string(),
    alias: z.string(),
    fromVersion: z.number().int().nullable(),
    toVersion: z.number().int().nullable(),
    at: z.string(),
    reason: z.string().nullable(),
    share: z.number().optional().meta({ description: 'The canary share after the move (canary moves only)' }),
    actor: z.string().nullable().meta({ description: "who moved it: 'operator' (a request with the token), 'policy' (the hourly promotion policy); null before this was recorded" }),
    createdBy: z.string().optional().meta({ description: "The caller that moved it: the API key's name, or 'REGISTRY_TOKEN' (absent for the hourly policy and before this was recorded)" }),
  })
  .meta({ id: 'AliasEvent' });
export type AliasEvent = z.infer<typeof AliasEvent>;

export const SetAliasRequest = z
  .object({
    version: Version,
    /**
     * Optimistic concurrency: the version the caller believes the alias points at now (null = the alias must
     * not exist yet). Omit to move unconditionally.
     */
    expectedVersion: Version.nullable().optional(),
    reason: z.string().max(500).optional(),
    share: z.number().optional().meta({ description: 'Required on (and only on) the canary alias: the share (0–1) of the champion traffic (edge /predict for NAME or NAME@champion, and the PWA) it serves, by a stable hash of the client key', example: 0.1 }),
    expectedShare: z.number().optional().meta({ description: 'Canary only, with expectedVersion: the share it must have now (compare-and-set)' }),
  })
  .meta({ id: 'SetAliasRequest' });
export type SetAliasRequest = z.infer<typeof SetAliasRequest>;

export const HealthResponse = z.object({ status: z.enum(['ok', 'degraded']), version: z.string(), time: z.string() }).meta({ id: 'HealthResponse' });
export type HealthResponse = z.infer<typeof HealthResponse>;

export const ReadyResponse = z
  .object({ ready: z.boolean(), checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })) })
  .meta({ id: 'ReadyResponse' });
export type ReadyResponse = z.infer<typeof ReadyResponse>;

/** A Manifest as the response schema types it (training.params is `unknown` in Manifest, a record here). */
export const manifestJson = (m: Manifest): z.infer<typeof ManifestJson> => m;
