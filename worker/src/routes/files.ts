/**
 * Model file bytes: PUT (streamed to R2 while hashed) and GET (immutable, ETag = "sha256").
 * File paths contain slashes, which OpenAPI path templates cannot express, so these two routes are
 * plain Hono routes documented by hand in the OpenAPI registry.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorResponse, FilePath, ModelName, UploadFileResponse, VersionNumber } from '@sentiment-edge/registry';
import type { Context } from 'hono';
import { requireRole } from '../auth.ts';
import { getVersion } from '../db/versions.ts';
import { getFile, getServedFile, markFileUploaded } from '../db/version-files.ts';
import { maxFileBytes, type AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json } from './responses.ts';
import { contentTypeFor, putVerified, uploadKey } from '../storage/files.ts';

const PATH = '/models/:name/versions/:version/files/:path{.+}';
const DOC_PATH = '/models/{name}/versions/{version}/files/{path}';

const FileParams = z.object({
  name: ModelName,
  version: VersionNumber,
  path: FilePath,
});

function fileParams(c: Context<AppEnv>) {
  const raw = { name: c.req.param('name'), version: c.req.param('version'), path: c.req.param('path') };
  const r = FileParams.safeParse(raw);
  if (!r.success) throw ApiError.validation(r.error.issues, 'path');
  return r.data;
}

/**
 * One `Range: bytes=…` range of a file of `size` bytes (RFC 9110 §14): `a-b`, `a-` or the suffix
 * `-n`; the end is clipped to the file. null (serve the whole file) when there is no Range header, it
 * is not a single bytes range (several ranges are answered in full rather than as multipart), or it is
 * malformed; 'unsatisfiable' when it starts at or beyond the end (or asks for the last 0 bytes).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/i.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (m[2] !== '' && end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

const docParams = z.object({
  name: ModelName,
  version: z.number().int().positive().openapi({ param: { name: 'version', in: 'path' } }),
  path: z.string().openapi({ param: { name: 'path', in: 'path' }, description: 'file path inside the model, may contain "/" (e.g. onnx/model.onnx)' }),
});

/** The file routes: plain Hono routes for the slash-holding path, documented with createRoute objects below. */
export function filesApp(): OpenAPIHono<AppEnv> {
  const fileRoutes = newApp();

  fileRoutes.put(PATH, requireRole('publisher'), async (c) => {
    const { name, version, path } = fileParams(c);
    const manifest = await getVersion(c.env.DB, name, version, { includePending: true });
    if (!manifest) throw ApiError.notFound(`model ${name} has no version ${version}; create it first with POST …/models/${name}/versions`);
    if (manifest.status !== 'pending') throw ApiError.conflict(`model ${name} version ${version} is ${manifest.status}; its files are immutable`, { status: manifest.status });
    const file = await getFile(c.env.DB, name, version, path);
    if (!file) {
      throw ApiError.notFound(`the manifest of ${name} version ${version} declares no file "${path}"`, { declared: manifest.files.map((f) => f.path) });
    }
    const limit = maxFileBytes(c.env);
    const declaredLength = c.req.header('content-length');
    if (declaredLength !== undefined) {
      const n = Number(declaredLength);
      if (n > limit) throw new ApiError(413, 'payload_too_large', `file is ${n} bytes, over the limit of ${limit} bytes`, { limit });
      if (n !== file.bytes) {
        throw ApiError.badRequest(`the manifest declares ${file.bytes} bytes for "${path}", but content-length is ${n}`, { expectedBytes: file.bytes, receivedBytes: n });
      }
    }
    const body = c.req.raw.body ?? new Blob([]).stream();
    // This attempt's own key: refusing it deletes only its bytes, never a verified upload of the same file.
    const key = uploadKey(name, version, path);
    const stored = await putVerified(c.env.MODELS, key, body, file, limit, contentTypeFor(path));
    const { recorded, replacedKey } = await markFileUploaded(c.env.DB, name, version, path, stored.sha256, key);
    if (!recorded) {
      await c.env.MODELS.delete(key);
      throw ApiError.conflict(`model ${name} version ${version} was finalized during the upload; its files are immutable`);
    }
    // The same declared bytes uploaded again: the earlier copy is no longer referenced.
    if (replacedKey) await c.env.MODELS.delete(replacedKey);
    return c.json({ path, sha256: stored.sha256, bytes: stored.bytes }, 200);
  });

  fileRoutes.get(PATH, async (c) => {
    const { name, version, path } = fileParams(c);
    const file = await getServedFile(c.env.DB, name, version, path);
    if (!file) {
      const manifest = await getVersion(c.env.DB, name, version);
      if (!manifest) throw ApiError.notFound(`model ${name} has no finalized version ${version}`);
      throw ApiError.notFound(`${name} version ${version} has no file "${path}"`, { files: manifest.files.map((f) => f.path) });
    }
    const etag = `"${file.sha256}"`;
    const headers: Record<string, string> = {
      ETag: etag,
      'Cache-Control': 'public, max-age=31536000, immutable',
      'Content-Type': contentTypeFor(path),
    };
    if (ifNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    headers['Accept-Ranges'] = 'bytes';
    // If-Range with another validator: the client's partial copy is stale, send the whole file.
    const ifRange = c.req.header('if-range');
    const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), file.bytes) : null;
    if (range === 'unsatisfiable') {
      throw new ApiError(416, 'range_not_satisfiable', `"${path}" has ${file.bytes} bytes; the requested range starts beyond it`, { bytes: file.bytes }, { 'Content-Range': `bytes */${file.bytes}` });
    }
    const key = file.object_key;
    const object = range ? await c.env.MODELS.get(key, { range: { offset: range.start, length: range.end - range.start + 1 } }) : await c.env.MODELS.get(key);
    if (!object) throw new ApiError(500, 'internal', `the bytes of ${name} version ${version} "${path}" are missing from R2`);
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${file.bytes}`;
      headers['Content-Length'] = String(range.end - range.start + 1);
      return c.body(object.body, 206, headers);
    }
    headers['Content-Length'] = String(object.size);
    return c.body(object.body, 200, headers);
  });

  fileRoutes.openAPIRegistry.registerPath({
    method: 'put',
    path: DOC_PATH,
    tags: ['registry'],
    summary: 'Upload one declared file of a pending version (raw bytes); streamed to R2 and verified against the manifest sha256',
    security: [{ bearerAuth: [] }],
    'x-role': 'publisher',
    request: { params: docParams, body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
    responses: { 200: json(UploadFileResponse, 'Stored and verified'), ...errors(400, 401, 403, 404, 409, 413) },
  });

  fileRoutes.openAPIRegistry.registerPath({
    method: 'get',
    path: DOC_PATH,
    tags: ['registry'],
    summary: 'Download a file of a ready or archived version (immutable: ETag = "sha256", If-None-Match → 304; one Range → 206, If-Range honoured, 416 beyond the end)',
    request: { params: docParams },
    responses: {
      200: { description: 'The bytes', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      206: { description: 'The requested byte range (Content-Range: bytes a-b/size)', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      304: { description: 'Not modified' },
      416: { description: 'Range not satisfiable (range_not_satisfiable; Content-Range: bytes */size)', content: { 'application/json': { schema: ErrorResponse } } },
      ...errors(400, 404),
    },
  });
  return fileRoutes;
}
