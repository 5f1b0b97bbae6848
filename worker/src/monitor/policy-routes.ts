/**
 * The promotion policy's routes (issue 15):
 * - PUT /api/v1/models/{name}/policy (REGISTRY_TOKEN, JSON): replaces the model's policy; fields left
 *   out take their defaults (registry/src/policy.ts), unknown or out-of-range fields are 400 naming them;
 * - GET /api/v1/models/{name}/policy (REGISTRY_TOKEN or READ_TOKEN): the stored policy, 404 when none;
 * - GET /api/v1/models/{name}/decisions?n= (REGISTRY_TOKEN or READ_TOKEN): the hourly job's decisions, newest first.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ModelName, policyRoutes, PromotionPolicy, type DecisionList, type PolicyResponse } from '@sentiment-edge/registry';
import { requireMonitorReadToken, requireToken } from '../auth.ts';
import { getModel } from '../db/versions.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json, wholeNumberParam } from '../schemas.ts';
import { getPolicy, listDecisions, putPolicy } from '../db/promotion.ts';

export const DEFAULT_DECISIONS = 50;
export const MAX_DECISIONS = 500;

const PATH = '/api/v1/models/:name';
const DecisionsQuery = z.object({
  n: wholeNumberParam('n', MAX_DECISIONS).default(DEFAULT_DECISIONS),
});

function modelName(raw: string): string {
  const parsed = ModelName.safeParse(raw);
  if (!parsed.success) throw ApiError.validation(parsed.error.issues, 'model name');
  return parsed.data;
}

const PolicyDoc = z
  .object({
    paused: z.boolean().optional().openapi({ description: 'true: the hourly job records a hold and moves nothing (default false)' }),
    minRows: z.number().int().min(1).optional().openapi({ description: 'candidate traffic needed: its counted answered texts (edge; browser only with browserEvidence) + failed texts (its own fault) + the champion texts it shadow-scored, since its alias was set (default 200)' }),
    minHours: z.number().min(0).optional().openapi({ description: 'hours since the candidate alias was set before it may be promoted (default 24)' }),
    browserEvidence: z
      .object({ maxRowsPerClientDay: z.number().int().min(1).max(10_000).optional() })
      .nullable()
      .optional()
      .openapi({ description: 'count synced browser rows as evidence (default null: never, only edge rows and shadow pairs); each client (address hash) counts at most maxRowsPerClientDay (default 50) per UTC day, and outlier client-days (Tukey fences on mean confidence) are left out' }),
    allowSkippedChecks: z.boolean().optional().openapi({ description: 'promote even when a condition that is on was not measured (shadow agreement, p95 latency, estimated accuracy); default false: hold' }),
    conditions: z
      .object({
        minShadowAgreement: z.number().min(0).max(1).nullable().optional().openapi({ description: 'shadow agreement with the champion ≥ this, else hold (default 0.8; null: off)' }),
        estimatedAccuracyTolerance: z.number().min(0).max(1).nullable().optional().openapi({ description: "candidate CBPE ≥ champion's − this, else roll back (default 0.02)" }),
        realisedAccuracy: z.object({ minRows: z.number().int().min(1), tolerance: z.number().min(0).max(1) }).nullable().optional().openapi({ description: "with ≥ minRows labelled rows each: candidate ≥ champion's − tolerance, else roll back (default {minRows: 50, tolerance: 0.02})" }),
        errorRateTolerance: z.number().min(0).max(1).nullable().optional().openapi({ description: "candidate error rate ≤ champion's + this, else roll back (default 0.01)" }),
        latencyP95Factor: z.number().min(1).nullable().optional().openapi({ description: "candidate p95 latency ≤ champion's × this, else hold (default 1.5)" }),
      })
      .optional(),
  })
  .openapi('PromotionPolicy');

export function policyApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.put(`${PATH}/policy`, requireToken, async (c) => {
    const name = modelName(c.req.param('name'));
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new ApiError(415, 'unsupported_media_type', `send the policy as JSON with Content-Type: application/json (got ${type ? JSON.stringify(type) : 'none'})`);
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (e) {
      throw ApiError.badRequest(`malformed JSON body: ${(e as Error).message}. Send a JSON object, e.g. {"minRows": 200, "minHours": 24}`);
    }
    const parsed = PromotionPolicy.safeParse(body);
    if (!parsed.success) throw ApiError.validation(parsed.error.issues, 'policy (see GET /openapi.json, PromotionPolicy, for the fields and their ranges)');
    if (!(await getModel(c.env.DB, name))) throw ApiError.notFound(`model ${name} does not exist: publish a version of it before setting its policy`);
    const stored = await putPolicy(c.env.DB, name, parsed.data);
    const res: PolicyResponse = { model: name, ...stored };
    return c.json(res, 200);
  });
  app.get(`${PATH}/policy`, requireMonitorReadToken, async (c) => {
    const name = modelName(c.req.param('name'));
    const stored = await getPolicy(c.env.DB, name);
    if (!stored) throw ApiError.notFound(`model ${name} has no promotion policy: set one with PUT ${policyRoutes.policy(name)}`);
    const res: PolicyResponse = { model: name, ...stored };
    return c.json(res, 200);
  });
  app.get(`${PATH}/decisions`, requireMonitorReadToken, async (c) => {
    const name = modelName(c.req.param('name'));
    const q = DecisionsQuery.safeParse(c.req.query());
    if (!q.success) throw ApiError.validation(q.error.issues, 'decisions query');
    const res: DecisionList = { model: name, decisions: await listDecisions(c.env.DB, name, q.data.n) };
    return c.json(res, 200);
  });

  const reg = app.openAPIRegistry;
  const tags = ['promotion'];
  const params = z.object({ name: z.string().openapi({ example: 'sentiment' }) });
  const PolicyResponseDoc = z.object({ model: z.string(), policy: PolicyDoc, updatedAt: z.string() }).openapi('PolicyResponse');
  reg.registerPath(
    createRoute({
      method: 'put',
      path: '/api/v1/models/{name}/policy',
      tags,
      summary: 'Set the promotion policy the hourly job applies to the canary (else challenger): promote / hold / roll back with compare-and-set. Fields left out take their defaults',
      security: [{ bearerAuth: [] }],
      request: { params, body: { required: true, content: { 'application/json': { schema: PolicyDoc } } } },
      responses: { 200: json(PolicyResponseDoc, 'The stored policy, defaults filled in'), ...errors(400, 401, 403, 404, 415) },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'get',
      path: '/api/v1/models/{name}/policy',
      tags,
      summary: 'The promotion policy of a model. Needs REGISTRY_TOKEN or READ_TOKEN',
      security: [{ bearerAuth: [] }],
      request: { params },
      responses: { 200: json(PolicyResponseDoc, 'The policy'), ...errors(400, 401, 403, 404) },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'get',
      path: '/api/v1/models/{name}/decisions',
      tags,
      summary: "The hourly job's promote / hold / roll back decisions, newest first: action, outcome (applied, conflict: an operator moved the alias first, none), reasons, every check, the evidence and the policy. Needs REGISTRY_TOKEN or READ_TOKEN",
      security: [{ bearerAuth: [] }],
      request: { params, query: z.object({ n: z.number().int().min(1).max(MAX_DECISIONS).optional() }) },
      responses: {
        200: json(
          z
            .object({
              model: z.string(),
              decisions: z.array(
                z.object({
                  id: z.number().int(),
                  model: z.string(),
                  createdAt: z.string(),
                  candidate: z.object({ name: z.string(), version: z.number().int(), alias: z.enum(['canary', 'challenger']) }),
                  championVersion: z.number().int().nullable(),
                  action: z.enum(['promote', 'hold', 'rollback']),
                  outcome: z.enum(['applied', 'conflict', 'none']),
                  reasons: z.array(z.string()),
                  checks: z.array(z.object({ check: z.string(), passed: z.boolean().nullable(), value: z.number().nullable(), threshold: z.number().nullable(), message: z.string() })),
                  evidence: z.record(z.string(), z.unknown()),
                  policy: PolicyDoc,
                  webhook: z.enum(['delivered', 'failed']).nullable(),
                }),
              ),
            })
            .openapi('DecisionList'),
          'Decisions',
        ),
        ...errors(400, 401, 403),
      },
    }),
  );
  return app;
}
