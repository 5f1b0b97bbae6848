/** Models, versions, refs: publish (create → upload → finalize), read, archive, delete a pending version. */
import { createRoute, z } from '@hono/zod-openapi';
import { CreateVersionResponse, ListModelsResponse, ListVersionsResponse, ManifestDraft, ManifestJson, manifestJson, ModelSummary, NameParam, RefParams, VersionParams, routes } from '@sentiment-edge/registry';
import { bodyLimit } from 'hono/body-limit';
import { access, callerName, requireRole } from '../auth.ts';
import { archiveVersion, createVersion, deletePendingVersion, finalizeVersion, getModel, listModels, listVersions, requireVersion, resolveRef } from '../db/versions.ts';
import { forgetFileUpload, listFiles } from '../db/version-files.ts';
import { maxFileBytes, type Env } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { checkStoredObjects } from '../storage/files.ts';
import { errors, json } from './responses.ts';

/** Manifests are small (≤ 64 files); anything much larger is a mistake or an attack. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const manifestLimit = bodyLimit({
  maxSize: MAX_MANIFEST_BYTES,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  },
});
const tags = ['registry'];

export const modelsApp = () =>
  newApp()
  .openapi(
    createRoute({
      method: 'get',
      path: '/models',
      tags,
      summary: 'List models that have at least one finalized version',
      responses: { 200: json(ListModelsResponse, 'Models') },
    }),
    async (c) => c.json({ models: await listModels(c.env.DB) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}',
      tags,
      summary: 'One model: version count, latest version, aliases',
      request: { params: NameParam },
      responses: { 200: json(ModelSummary, 'Model'), ...errors(400, 404) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const model = await getModel(c.env.DB, name);
      if (!model) throw ApiError.notFound(`no model named ${name} (or it has no finalized version yet)`);
      return c.json(model, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/versions',
      tags,
      summary: 'Ready and archived versions, newest first (pending versions are invisible)',
      request: { params: NameParam },
      responses: { 200: json(ListVersionsResponse, 'Versions'), ...errors(400) },
    }),
    async (c) => c.json({ versions: (await listVersions(c.env.DB, c.req.valid('param').name)).map(manifestJson) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/models/{name}/versions',
      tags,
      summary: 'Create a pending version from a manifest draft; then PUT each file and finalize',
      ...access('publisher'),
      middleware: [requireRole('publisher'), manifestLimit],
      request: { params: NameParam, body: { required: true, content: { 'application/json': { schema: ManifestDraft } } } },
      responses: {
        201: json(CreateVersionResponse, 'Pending version created'),
        ...errors(400, 401, 403, 409, 413),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const draft = c.req.valid('json');
      if (draft.name !== name) throw ApiError.badRequest(`the manifest is for model "${draft.name}" but was posted to model "${name}"`, { path: name, manifest: draft.name });
      const limit = maxFileBytes(c.env);
      const big = draft.files.filter((f) => f.bytes > limit);
      if (big.length > 0) {
        throw new ApiError(413, 'payload_too_large', `file(s) ${big.map((f) => f.path).join(', ')} exceed the per-file limit of ${limit} bytes`, { limit, files: big.map((f) => f.path) });
      }
      const manifest = await createVersion(c.env.DB, draft, undefined, callerName(c));
      const body = {
        manifest: manifestJson(manifest),
        uploads: manifest.files.map((f) => ({ path: f.path, url: routes.file(manifest.name, manifest.version, f.path) })),
      };
      return c.json(body, 201, { Location: routes.version(manifest.name, manifest.version) });
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/versions/{version}',
      tags,
      summary: 'A ready or archived version’s manifest',
      request: { params: VersionParams },
      responses: { 200: json(ManifestJson, 'Manifest'), ...errors(400, 404) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      return c.json(manifestJson(await requireVersion(c.env.DB, name, version)), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/refs/{ref}',
      tags,
      summary: 'A version by number or alias (e.g. refs/3, refs/champion)',
      request: { params: RefParams },
      responses: { 200: json(ManifestJson, 'Manifest'), ...errors(400, 404) },
    }),
    async (c) => {
      const { name, ref } = c.req.valid('param');
      return c.json(manifestJson(await resolveRef(c.env.DB, name, ref)), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/models/{name}/versions/{version}/finalize',
      tags,
      summary: 'pending → ready once every file is uploaded and verified',
      ...access('publisher'),
      request: { params: VersionParams },
      responses: { 201: json(ManifestJson, 'Version is ready'), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      return c.json(manifestJson(await finalizeChecked(c.env, name, version)), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/models/{name}/versions/{version}/archive',
      tags,
      summary: 'ready → archived (refused while an alias points at the version)',
      ...access('operator'),
      request: { params: VersionParams },
      responses: { 200: json(ManifestJson, 'Version is archived'), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      return c.json(manifestJson(await archiveVersion(c.env.DB, name, version)), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/models/{name}/versions/{version}',
      tags,
      summary: 'Delete a pending (never finalized) version, its file records and uploaded bytes; its number can be used again. 409 for a ready or archived version',
      ...access('publisher'),
      request: { params: VersionParams },
      responses: { 200: json(z.object({ name: z.string(), version: z.number().int(), deletedObjects: z.number().int() }), 'Deleted'), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { name, version } = c.req.valid('param');
      const keys = await deletePendingVersion(c.env.DB, name, version);
      if (keys.length) await c.env.MODELS.delete(keys);
      return c.json({ name, version, deletedObjects: keys.length }, 200);
    },
  );


/**
 * Finalize, after checking every recorded upload's object in R2 (exists, declared size and sha256).
 * A missing or wrong object is forgotten (the file must be uploaded again) and the answer is 409
 * `upload_incomplete` naming it; the UPDATE itself only succeeds while the checked keys are still
 * the recorded ones.
 */
async function finalizeChecked(env: Env, name: string, version: number) {
  const uploaded = (await listFiles(env.DB, name, version)).filter((f) => f.uploaded_sha256 === f.sha256);
  const broken = await checkStoredObjects(env.MODELS, uploaded.map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes, key: f.object_key })));
  if (broken.length) {
    for (const b of broken) await forgetFileUpload(env.DB, name, version, b.path, uploaded.find((f) => f.path === b.path)!.object_key);
    throw new ApiError(409, 'upload_incomplete', `model ${name} version ${version}: ${broken.map((b) => `${b.path}: ${b.problem}`).join('; ')}; PUT these files again, then finalize`, {
      missing: broken.map((b) => b.path),
      problems: broken,
    });
  }
  return finalizeVersion(env.DB, name, version, new Map(uploaded.map((f) => [f.path, f.object_key])));
}
