/**
 * GET /api/v1/drift?model=NAME[&version=N][&n=K] (REGISTRY_TOKEN or READ_TOKEN): the newest drift reports of a
 * model (each: window, rows, every feature's PSI and test, CBPE estimated accuracy, shadow comparison, alert
 * changes) and its alerts with their webhook delivery state.
 * GET /api/v1/ab?model=NAME&a=V1&b=V2[&days=N][&source=S] (same tokens): the A/B readout (monitor/ab.ts).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AbReadoutSchema, DriftListingSchema, ModelName, servingRoutes, VersionText, wholeNumberParam, type AbReadout, type DriftListing } from '@sentiment-edge/registry';
import { access } from '../auth.ts';
import { listDrift } from '../db/drift.ts';
import type { AppEnv } from '../env.ts';
import { newApp } from '../openapi-app.ts';
import { abReadout, DEFAULT_AB_DAYS, MAX_AB_DAYS } from '../monitor/ab.ts';
import { errors, json } from './responses.ts';

export const DEFAULT_REPORTS = 24;
export const MAX_REPORTS = 500;

const tags = ['monitoring'];
const Model = ModelName.meta({ example: 'sentiment' });
const integer = (description?: string, max?: number) => ({ type: 'integer' as const, ...(max !== undefined ? { minimum: 1, maximum: max } : {}), ...(description ? { description } : {}) });

const DriftQuery = z.object({
  model: Model,
  version: VersionText.meta(integer()).optional(),
  n: wholeNumberParam('n', MAX_REPORTS).default(DEFAULT_REPORTS).meta(integer(`reports to return (default ${DEFAULT_REPORTS})`, MAX_REPORTS)),
});

const AbQuery = z.object({
  model: Model,
  a: VersionText.meta(integer('the baseline version (e.g. the champion)')),
  b: VersionText.meta(integer('the version compared with it (e.g. the canary)')),
  days: wholeNumberParam('days', MAX_AB_DAYS).optional().meta(integer(`window in days (default ${DEFAULT_AB_DAYS})`, MAX_AB_DAYS)),
  source: z.enum(['edge', 'browser']).optional().meta({ description: 'only rows of this source (default both)' }),
});

export function monitoringApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.openapi(
    createRoute({
      method: 'get',
      path: servingRoutes.drift(),
      tags,
      summary:
        'Drift reports of a model, newest first (one per aliased version per hourly run): PSI + KS per continuous feature, PSI + chi-squared for the label mix, CBPE estimated accuracy, shadow agreement with the challenger; and its alerts with their webhook delivery state. Needs REGISTRY_TOKEN or READ_TOKEN',
      ...access('reader'),
      request: { query: DriftQuery },
      responses: { 200: json(DriftListingSchema, 'Reports and alerts'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      // Typed as the registry's contract (registry/src/drift-api.ts), so the clients' type cannot drift from what is sent;
      // stored reports always have their id (DriftReport.id is optional only before a report is stored).
      const listing: DriftListing = await listDrift(c.env.DB, q.model, { n: q.n, ...(q.version !== undefined ? { version: q.version } : {}) });
      return c.json(listing as z.infer<typeof DriftListingSchema>, 200, { 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: servingRoutes.ab(),
      tags,
      summary:
        'A/B readout of two versions over the period both served traffic (inside the last `days` days): per version rows, label mix, mean confidence, latency p50/p95 and accuracy on feedback; between them (b − a) the label-mix difference, agreement on shadow pairs and the accuracy difference with a 95 % Newcombe hybrid score interval. Needs REGISTRY_TOKEN or READ_TOKEN',
      ...access('reader'),
      request: { query: AbQuery },
      responses: { 200: json(AbReadoutSchema, 'Readout'), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { model, a, b, days, source } = c.req.valid('query');
      const readout: AbReadout = await abReadout(c.env.DB, { model, a, b, ...(days !== undefined ? { days } : {}), ...(source ? { source } : {}) });
      return c.json(readout, 200, { 'Cache-Control': 'no-store' });
    },
  );
  return app;
}
