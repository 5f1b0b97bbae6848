/**
 * GET /api/v1/drift?model=NAME[&version=N][&n=K] (REGISTRY_TOKEN or READ_TOKEN): the newest drift
 * reports of a model (each: window, rows, every feature's PSI and test, CBPE estimated accuracy,
 * shadow comparison, alert changes) and its alerts with their webhook delivery state.
 * GET /api/v1/ab?model=NAME&a=V1&b=V2[&days=N][&source=S] (same tokens): the A/B readout (ab.ts).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DRIFT_FEATURES, ModelName, servingRoutes, type AbReadout, type DriftListing } from '@sentiment-edge/registry';
import { requireAbReadToken, requireMonitorReadToken } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json, VersionNumber, wholeNumberParam } from '../schemas.ts';
import { listDrift } from '../db/drift.ts';
import { abReadout, DEFAULT_AB_DAYS, MAX_AB_DAYS } from './ab.ts';

export const DEFAULT_REPORTS = 24;
export const MAX_REPORTS = 500;

const DriftQuery = z.object({
  model: ModelName,
  version: VersionNumber.optional(),
  n: wholeNumberParam('n', MAX_REPORTS).default(DEFAULT_REPORTS),
});

const AbQuery = z.object({
  model: ModelName,
  a: VersionNumber,
  b: VersionNumber,
  days: wholeNumberParam('days', MAX_AB_DAYS).optional(),
  source: z.enum(['edge', 'browser']).optional(),
});

const Feature = z.enum(DRIFT_FEATURES as [string, ...string[]]);
const FeatureCheckSchema = z.union([
  z.object({
    feature: Feature,
    psi: z.number(),
    psiThreshold: z.number(),
    test: z.enum(['ks', 'chi-squared']),
    statistic: z.number(),
    pValue: z.number(),
    pValueThreshold: z.number(),
    drifted: z.boolean().openapi({ description: 'PSI ≥ psiThreshold AND pValue < pValueThreshold' }),
    reference: z.array(z.number()),
    current: z.array(z.number()),
    buckets: z.array(z.union([z.number(), z.string()])).openapi({ description: 'bucket upper bounds (continuous; one more count for values above the last) or label names' }),
  }),
  z.object({ feature: Feature, skipped: z.literal('insufficient_rows'), rows: z.number().int(), minRows: z.number().int() }),
]);
const ModelRef = z.object({ name: z.string(), version: z.number().int() });
export const DriftReportSchema = z
  .object({
    id: z.number().int(),
    createdAt: z.string(),
    model: ModelRef,
    aliases: z.array(z.string()),
    window: z.object({ start: z.string(), end: z.string(), hours: z.number() }),
    rows: z.number().int(),
    status: z.enum(['ok', 'drift', 'insufficient_data', 'no_reference']),
    thresholds: z.object({ psi: z.number(), pValue: z.number(), minRows: z.number().int() }),
    features: z.array(FeatureCheckSchema),
    driftedFeatures: z.array(Feature),
    estimatedAccuracy: z
      .object({
        method: z.literal('cbpe'),
        estimate: z.number(),
        low: z.number(),
        high: z.number(),
        rows: z.number().int(),
        calibrationEce: z.number().nullable().openapi({ description: 'ECE measured at publish (manifest evaluation.ece): how far confidences were from accuracy then' }),
        evaluationAccuracy: z.number().nullable(),
        referenceMeanConfidence: z.number().nullable(),
      })
      .nullable(),
    realisedAccuracy: z.object({ accuracy: z.number(), rows: z.number().int() }).nullable(),
    shadow: z
      .object({
        challenger: ModelRef,
        rows: z.number().int(),
        agreement: z.number().nullable(),
        labelMix: z.object({ champion: z.record(z.string(), z.number()), challenger: z.record(z.string(), z.number()) }),
        labelMixDifference: z.number().nullable(),
        challengerMeanConfidence: z.number().nullable(),
        otherRows: z.number().int(),
      })
      .nullable(),
    alerts: z.object({ opened: z.array(z.object({ id: z.number().int(), feature: Feature })), open: z.array(Feature), resolved: z.array(Feature) }),
  })
  .openapi('DriftReport');
const AlertSchema = z
  .object({
    id: z.number().int(),
    model: ModelRef,
    feature: Feature,
    state: z.enum(['open', 'resolved']),
    openedAt: z.string(),
    resolvedAt: z.string().nullable(),
    openedReportId: z.number().int(),
    lastReportId: z.number().int(),
    psi: z.number(),
    pValue: z.number(),
    delivery: z.object({ status: z.enum(['sending', 'delivered', 'failed']), attempts: z.number().int(), lastStatus: z.number().int().nullable(), lastError: z.string().nullable(), updatedAt: z.string() }).nullable(),
  })
  .openapi('DriftAlert');

export function monitorApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.get(servingRoutes.drift(), requireMonitorReadToken, async (c) => {
    const q = DriftQuery.safeParse(c.req.query());
    if (!q.success) throw ApiError.validation(q.error.issues, 'drift query');
    // Typed as the registry's contract (registry/src/drift-api.ts), so the clients' type cannot drift from what is sent.
    const listing: DriftListing = await listDrift(c.env.DB, q.data.model, { n: q.data.n, ...(q.data.version !== undefined ? { version: q.data.version } : {}) });
    return c.json(listing, 200, { 'Cache-Control': 'no-store' });
  });
  app.get(servingRoutes.ab(), requireAbReadToken, async (c) => {
    const q = AbQuery.safeParse(c.req.query());
    if (!q.success) throw ApiError.validation(q.error.issues, 'A/B query (model=NAME&a=V1&b=V2[&days=N][&source=edge|browser])');
    const { model, a, b, days, source } = q.data;
    const readout: AbReadout = await abReadout(c.env.DB, { model, a, b, ...(days !== undefined ? { days } : {}), ...(source ? { source } : {}) });
    return c.json(readout, 200, { 'Cache-Control': 'no-store' });
  });
  const Interval = z.object({ low: z.number(), high: z.number() });
  const AbVersionSchema = z.object({
    version: z.number().int(),
    n: z.number().int(),
    labels: z.record(z.string(), z.number().int()),
    labelMix: z.record(z.string(), z.number()),
    meanConfidence: z.number().nullable(),
    latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
    feedback: z.object({ n: z.number().int(), correct: z.number().int(), accuracy: z.number().nullable(), interval: Interval.nullable().openapi({ description: '95 % Wilson interval' }) }),
  });
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: servingRoutes.ab(),
      tags: ['monitoring'],
      summary:
        'A/B readout of two versions over the period both served traffic (inside the last `days` days): per version rows, label mix, mean confidence, latency p50/p95 and accuracy on feedback; between them (b − a) the label-mix difference, agreement on shadow pairs and the accuracy difference with a 95 % Newcombe hybrid score interval. Needs REGISTRY_TOKEN or READ_TOKEN',
      security: [{ bearerAuth: [] }],
      request: {
        query: z.object({
          model: z.string().openapi({ example: 'sentiment' }),
          a: z.number().int().openapi({ description: 'the baseline version (e.g. the champion)' }),
          b: z.number().int().openapi({ description: 'the version compared with it (e.g. the canary)' }),
          days: z.number().int().min(1).max(MAX_AB_DAYS).optional().openapi({ description: `window in days (default ${DEFAULT_AB_DAYS})` }),
          source: z.enum(['edge', 'browser']).optional().openapi({ description: 'only rows of this source (default both)' }),
        }),
      },
      responses: {
        200: json(
          z
            .object({
              model: z.string(),
              window: z.object({ start: z.string(), end: z.string(), days: z.number().int() }),
              overlap: z.object({ start: z.string(), end: z.string() }).nullable(),
              source: z.enum(['edge', 'browser']).nullable(),
              a: AbVersionSchema,
              b: AbVersionSchema,
              labelMixDifference: z.object({ perLabel: z.record(z.string(), z.number()), totalVariation: z.number() }).nullable(),
              meanConfidenceDifference: z.number().nullable(),
              agreement: z.object({ rows: z.number().int(), agreement: z.number().nullable() }),
              accuracyDifference: z.object({ difference: z.number(), low: z.number(), high: z.number(), method: z.literal('newcombe'), confidence: z.literal(0.95) }).nullable(),
            })
            .openapi('AbReadout'),
          'Readout',
        ),
        ...errors(400, 401, 403, 404),
      },
    }),
  );
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: servingRoutes.drift(),
      tags: ['monitoring'],
      summary:
        'Drift reports of a model, newest first (one per aliased version per hourly run): PSI + KS per continuous feature, PSI + chi-squared for the label mix, CBPE estimated accuracy, shadow agreement with the challenger; and its alerts with their webhook delivery state. Needs REGISTRY_TOKEN or READ_TOKEN',
      security: [{ bearerAuth: [] }],
      request: { query: z.object({ model: z.string().openapi({ example: 'sentiment' }), version: z.number().int().optional(), n: z.number().int().min(1).max(MAX_REPORTS).optional().openapi({ description: `reports to return (default ${DEFAULT_REPORTS})` }) }) },
      responses: { 200: json(z.object({ model: z.string(), reports: z.array(DriftReportSchema), alerts: z.array(AlertSchema) }).openapi('DriftListing'), 'Reports and alerts'), ...errors(400, 401, 403) },
    }),
  );
  return app;
}
