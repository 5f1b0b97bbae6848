/**
 * API keys (admin only: REGISTRY_TOKEN or an admin key):
 * - POST /api/v1/keys: creates a key; the answer carries the key itself, this once (only its SHA-256 is stored);
 * - GET /api/v1/keys: every key with its role, scope, creation, last use, expiry and revocation, never the key;
 * - DELETE /api/v1/keys/{name}: revokes it (every isolate refuses it within KEY_CACHE_MS);
 * - GET /api/v1/keys/me (any valid key or token, whatever its models): what the caller's own key is and may do.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ApiKeyInfo, CreatedKey, CreateKeyRequest, KeyList, KeyName, KeySelf } from '@sentiment-edge/registry';
import { access, caller, forgetKeyCache, keyHash, newApiKey } from '../auth.ts';
import { insertKey, keyByHash, listKeys, revokeKey } from '../db/api-keys.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json } from './responses.ts';

const tags = ['keys'];
const DAY_MS = 86_400_000;

export function keysApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/keys',
      tags,
      summary: 'Create an API key with a role (reader, publisher, operator, admin), optionally limited to some models and with an expiry. The key is in this answer only',
      ...access('admin'),
      request: { body: { required: true, content: { 'application/json': { schema: CreateKeyRequest } } } },
      responses: { 201: json(CreatedKey, 'The new key (shown once)'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = newApiKey();
      const now = new Date();
      const ok = await insertKey(
        c.env.DB,
        {
          name: body.name,
          role: body.role,
          models: body.models ? [...new Set(body.models)] : null,
          keyHash: await keyHash(key),
          expiresAt: body.expiresInDays ? new Date(now.getTime() + body.expiresInDays * DAY_MS).toISOString() : null,
          createdBy: caller(c).name,
        },
        now.toISOString(),
      );
      if (!ok) throw ApiError.conflict(`a key named "${body.name}" exists already (revoked keys keep their name): pick another name`, { name: body.name });
      const info = await keyByHash(c.env.DB, await keyHash(key));
      if (!info) throw new Error('the key just inserted is not there');
      const res: CreatedKey = { ...info, key };
      return c.json(res, 201, { 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/keys',
      tags,
      summary: 'Every API key: name, role, models, created, last used, expiry, revocation (never the key)',
      ...access('admin'),
      responses: { 200: json(KeyList, 'Keys'), ...errors(401, 403) },
    }),
    async (c) => c.json({ keys: await listKeys(c.env.DB) } satisfies KeyList, 200, { 'Cache-Control': 'no-store' }),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/keys/me',
      tags,
      summary: "What the caller's own key or token is and may do: name, role, models, expiry (never the key or its hash). Any valid API key, REGISTRY_TOKEN or READ_TOKEN; the PWA dashboard reads it to hide what the role cannot use",
      ...access('reader', { anyModel: true }),
      responses: { 200: json(KeySelf, 'The caller'), ...errors(401, 403) },
    }),
    async (c) => {
      const who = caller(c);
      const secret = who.name.endsWith('_TOKEN');
      const res: KeySelf = { name: who.name, kind: secret ? 'secret' : 'api-key', role: who.role, models: who.models, expiresAt: who.expiresAt ?? null };
      return c.json(res, 200, { 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/v1/keys/{keyName}',
      tags,
      summary: 'Revoke an API key: every Worker isolate refuses it within 5 s',
      ...access('admin'),
      request: { params: z.object({ keyName: KeyName }) },
      responses: { 200: json(ApiKeyInfo, 'The revoked key'), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { keyName } = c.req.valid('param');
      const info = await revokeKey(c.env.DB, keyName);
      if (!info) throw ApiError.notFound(`there is no key named "${keyName}"`);
      forgetKeyCache();
      return c.json(info, 200);
    },
  );
  return app;
}
