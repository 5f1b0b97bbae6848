/**
 * GET /api/v1/history (REGISTRY_TOKEN or READ_TOKEN: the rows hold what people typed) and POST /api/v1/history
 * (public browser sync). The query is validated by HistoryQueryInput; a sync body is checked row by row against
 * the registry by parseSyncBody (serving/history.ts: labels, sums, hashes, times, repeated ids), after the limiter.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { HistoryPage, HistorySyncRequest, HistorySyncResponse, MAX_HISTORY_BATCH, servingRoutes } from '@sentiment-edge/registry';
import { access } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import { newApp } from '../openapi-app.ts';
import { HEAVY_COST, limitCaller, limitClient } from '../rate-limit.ts';
import { insertHistory, listHistory } from '../db/history.ts';
import { clientHash, HistoryQueryInput, parseSyncBody } from '../serving/history.ts';
import { callerIsOperator, readJson, storeText } from './after-response.ts';
import { errors, json } from './responses.ts';

/** Largest history sync body: 500 rows of at most ~25 kB each. */
export const MAX_HISTORY_BODY_BYTES = MAX_HISTORY_BATCH * 25 * 1024;

const tags = ['serving'];
const path = servingRoutes.history();

const HistoryQuery = HistoryQueryInput.extend({
  n: HistoryQueryInput.shape.n.meta({ type: 'integer', minimum: 1, maximum: 500 }),
  model: HistoryQueryInput.shape.model.meta({ description: 'NAME or NAME@VERSION' }),
});

export function historyApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.openapi(
    createRoute({
      method: 'get',
      path,
      tags,
      summary: 'Prediction history, newest first, keyset-paginated (pass nextCursor as cursor). Needs REGISTRY_TOKEN or READ_TOKEN: the rows hold what people typed',
      ...access('reader'),
      request: { query: HistoryQuery },
      responses: { 200: json(HistoryPage, 'A page'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { cursor, label, model, source, n } = c.req.valid('query');
      await limitCaller(c, 'HEAVY_LIMITER', HEAVY_COST.historyPage);
      const page = await listHistory(c.env.DB, { n, ...(cursor ? { cursor } : {}), ...(label ? { label } : {}), ...(model ? { model } : {}), ...(source ? { source } : {}) });
      return c.json(page, 200, { 'Cache-Control': 'no-store' });
    },
  );

  // The body is documented from the registry's schema and checked by parseSyncBody, which reads the registry
  // (model versions, labels) and answers 413 for an oversized batch before looking at its rows. (A clone: the
  // registry's schemas are built before @hono/zod-openapi adds `.openapi()`, which register() calls.)
  app.openAPIRegistry.register('HistorySyncRequest', HistorySyncRequest.clone());
  app.openapi(
    createRoute({
      method: 'post',
      path,
      tags,
      summary: `Sync up to ${MAX_HISTORY_BATCH} browser-made predictions; idempotent by id. Public (browsers have no token) but validated against the registry: source "browser" only, model@version ready or archived, probabilities = the model's labels summing to 1, score = the label's (top) probability, textSha256/textLength = the text's when sent, createdAt from 2020 to 5 minutes ahead; a batch repeating an id is refused (400), not deduplicated`,
      request: { body: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/HistorySyncRequest' } } } } },
      responses: { 200: json(HistorySyncResponse, 'Stored'), ...errors(400, 403, 413, 415, 429) },
    }),
    async (c) => {
      // The limiter first: a flood of invalid (or huge) syncs is refused before its body is read or checked.
      if (!(await callerIsOperator(c))) await limitClient(c.env, c.req.raw, 'HISTORY_LIMITER');
      const records = await parseSyncBody(c.env.DB, await readJson(c, MAX_HISTORY_BODY_BYTES));
      // insertHistory adds the newly inserted rows (not duplicates) to the D1 metric rollups.
      const result = await insertHistory(c.env.DB, records, storeText(c.env), [], await clientHash(c.req.raw));
      return c.json(result, 200);
    },
  );
  return app;
}
