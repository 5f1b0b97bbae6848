/** Operational endpoints: /health, /live, /ready. */
import { createRoute, z } from '@hono/zod-openapi';
import { HealthResponse, ReadyResponse } from '@sentiment-edge/registry';
import { getAlias } from '../db/aliases.ts';
import { pingD1 } from '../db/health.ts';
import { newApp } from '../openapi-app.ts';
import { json } from './responses.ts';

/** The Worker's release, reported by /health. */
export const WORKER_VERSION = '0.1.0';
export const CHAMPION = 'champion';

const tags = ['ops'];

export const opsApp = () =>
  newApp()
  .openapi(
    createRoute({ method: 'get', path: '/health', tags, summary: 'Liveness with version and time', responses: { 200: json(HealthResponse, 'OK') } }),
    (c) => {
      const body: HealthResponse = { status: 'ok', version: WORKER_VERSION, time: new Date().toISOString() };
      return c.json(body, 200, { 'Cache-Control': 'no-store' });
    },
  )
  .openapi(
    createRoute({ method: 'get', path: '/live', tags, summary: 'The isolate answers', responses: { 200: json(z.object({ live: z.literal(true) }), 'Alive') } }),
    (c) => c.json({ live: true as const }, 200, { 'Cache-Control': 'no-store' }),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/ready',
      tags,
      summary: 'D1 reachable and the default model has a champion; 503 with Retry-After otherwise',
      responses: { 200: json(ReadyResponse, 'Ready'), 503: json(ReadyResponse, 'Not ready') },
    }),
    async (c) => {
      const body = await readiness(c.env.DB, c.env.DEFAULT_MODEL);
      const headers = { 'Cache-Control': 'no-store', ...(body.ready ? {} : { 'Retry-After': '30' }) };
      return body.ready ? c.json(body, 200, headers) : c.json(body, 503, headers);
    },
  );

export async function readiness(db: D1Database, defaultModel: string): Promise<ReadyResponse> {
  const checks: ReadyResponse['checks'] = {};
  try {
    await pingD1(db);
    checks.d1 = { ok: true };
  } catch (e) {
    checks.d1 = { ok: false, message: `D1 query failed: ${(e as Error).message}` };
  }
  if (checks.d1.ok) {
    try {
      const champion = await getAlias(db, defaultModel, CHAMPION);
      checks.champion = champion
        ? { ok: true, message: `${defaultModel}@${champion.version}` }
        : { ok: false, message: `model ${defaultModel} (DEFAULT_MODEL) has no ${CHAMPION} alias yet: publish a version and set the alias` };
    } catch (e) {
      checks.champion = { ok: false, message: `cannot read aliases: ${(e as Error).message} (are the migrations applied?)` };
    }
  } else {
    checks.champion = { ok: false, message: 'skipped: D1 is unreachable' };
  }
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
