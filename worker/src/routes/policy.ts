/**
 * The promotion policy's routes:
 * - PUT /api/v1/models/{name}/policy (REGISTRY_TOKEN, JSON): replaces the model's policy; fields left
 *   out take their defaults (registry/src/policy.ts), unknown or out-of-range fields are 400 naming them;
 * - GET /api/v1/models/{name}/policy (REGISTRY_TOKEN or READ_TOKEN): the stored policy, 404 when none;
 * - GET /api/v1/models/{name}/decisions?n= (REGISTRY_TOKEN or READ_TOKEN): the hourly job's decisions, newest first.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DecisionListSchema, ModelName, policyRoutes, PolicyResponseSchema, PromotionPolicy, wholeNumberParam, type DecisionList, type PolicyResponse } from '@sentiment-edge/registry';
import { access, callerName } from '../auth.ts';
import { getModel } from '../db/versions.ts';
import { getPolicy, listDecisions, putPolicy } from '../db/promotion.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json } from './responses.ts';

export const DEFAULT_DECISIONS = 50;
export const MAX_DECISIONS = 500;

const tags = ['promotion'];
const params = z.object({ name: ModelName.meta({ example: 'sentiment' }) });
const PolicyBody = PromotionPolicy.meta({ id: 'PromotionPolicy' });
const DecisionsQuery = z.object({
  n: wholeNumberParam('n', MAX_DECISIONS).default(DEFAULT_DECISIONS).meta({ type: 'integer', minimum: 1, maximum: MAX_DECISIONS }),
});

export function policyApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/models/{name}/policy',
      tags,
      summary: 'Set the promotion policy the hourly job applies to the canary (else challenger): promote / hold / roll back with compare-and-set. Fields left out take their defaults',
      ...access('operator'),
      request: { params, body: { required: true, content: { 'application/json': { schema: PolicyBody } } } },
      responses: { 200: json(PolicyResponseSchema, 'The stored policy, defaults filled in'), ...errors(400, 401, 403, 404, 415) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      if (!(await getModel(c.env.DB, name))) throw ApiError.notFound(`model ${name} does not exist: publish a version of it before setting its policy`);
      const stored = await putPolicy(c.env.DB, name, c.req.valid('json'), callerName(c));
      const res: PolicyResponse = { model: name, ...stored };
      return c.json(res, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/models/{name}/policy',
      tags,
      summary: 'The promotion policy of a model. Needs REGISTRY_TOKEN or READ_TOKEN',
      ...access('reader'),
      request: { params },
      responses: { 200: json(PolicyResponseSchema, 'The policy'), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const stored = await getPolicy(c.env.DB, name);
      if (!stored) throw ApiError.notFound(`model ${name} has no promotion policy: set one with PUT ${policyRoutes.policy(name)}`);
      const res: PolicyResponse = { model: name, ...stored };
      return c.json(res, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/models/{name}/decisions',
      tags,
      summary: "The hourly job's promote / hold / roll back decisions, newest first: action, outcome (applied, conflict: an operator moved the alias first, none), reasons, every check, the evidence and the policy. Needs REGISTRY_TOKEN or READ_TOKEN",
      ...access('reader'),
      request: { params, query: DecisionsQuery },
      responses: { 200: json(DecisionListSchema, 'Decisions'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const res: DecisionList = { model: name, decisions: await listDecisions(c.env.DB, name, c.req.valid('query').n) };
      return c.json(res, 200);
    },
  );
  return app;
}
