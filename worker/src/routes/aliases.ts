/** Aliases (champion, challenger, …): list, get, set (optimistic concurrency), delete, history. */
import { createRoute, z } from '@hono/zod-openapi';
import { AliasEvent, AliasParams, AliasRecord, NameParam, SetAliasRequest } from '@sentiment-edge/registry';
import { access, caller, callerName, checkAliasMove } from '../auth.ts';
import { aliasHistory, deleteAlias, getAlias, listAliases, setAlias } from '../db/aliases.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json } from './responses.ts';

const tags = ['aliases'];

export const aliasesApp = () =>
  newApp()
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/aliases',
      tags,
      summary: 'Aliases of a model',
      request: { params: NameParam },
      responses: { 200: json(z.object({ aliases: z.array(AliasRecord) }), 'Aliases'), ...errors(400) },
    }),
    async (c) => c.json({ aliases: await listAliases(c.env.DB, c.req.valid('param').name) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/aliases/{alias}',
      tags,
      summary: 'One alias',
      request: { params: AliasParams },
      responses: { 200: json(AliasRecord, 'Alias'), ...errors(400, 404) },
    }),
    async (c) => {
      const { name, alias } = c.req.valid('param');
      const record = await getAlias(c.env.DB, name, alias);
      if (!record) throw ApiError.notFound(`model ${name} has no alias "${alias}"`);
      return c.json(record, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/models/{name}/aliases/{alias}',
      tags,
      summary:
        'Point an alias at a ready version (atomically logged); expectedVersion makes it a compare-and-set. The canary alias also takes {share} (0–1): that share of the champion traffic goes to it, by a stable hash of the client key; DELETE it to end the canary. A publisher may set challenger, or the canary at share 0; every other move needs operator',
      ...access('publisher'),
      request: { params: AliasParams, body: { required: true, content: { 'application/json': { schema: SetAliasRequest } } } },
      responses: { 200: json(AliasRecord, 'Alias set'), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { name, alias } = c.req.valid('param');
      const body = c.req.valid('json');
      checkAliasMove(caller(c), alias, body.share);
      const record = await setAlias(c.env.DB, {
        name,
        alias,
        version: body.version,
        ...(body.expectedVersion !== undefined ? { expectedVersion: body.expectedVersion } : {}),
        reason: body.reason ?? null,
        ...(body.share !== undefined ? { share: body.share } : {}),
        ...(body.expectedShare !== undefined ? { expectedShare: body.expectedShare } : {}),
        actor: 'operator',
        createdBy: callerName(c),
      });
      return c.json(record, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/models/{name}/aliases/{alias}',
      tags,
      summary: 'Delete an alias (logged)',
      ...access('operator'),
      request: { params: AliasParams, query: z.object({ reason: z.string().max(500).optional() }) },
      responses: { 204: { description: 'Deleted' }, ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { name, alias } = c.req.valid('param');
      await deleteAlias(c.env.DB, name, alias, c.req.valid('query').reason ?? null, undefined, { actor: 'operator', createdBy: callerName(c) });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/aliases/{alias}/history',
      tags,
      summary: 'Every move of an alias, newest first',
      request: { params: AliasParams, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) },
      responses: { 200: json(z.object({ events: z.array(AliasEvent) }), 'Audit log'), ...errors(400) },
    }),
    async (c) => {
      const { name, alias } = c.req.valid('param');
      return c.json({ events: await aliasHistory(c.env.DB, name, alias, c.req.valid('query').limit ?? 100) }, 200);
    },
  );
