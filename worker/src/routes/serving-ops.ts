/**
 * GET /api/v1/model-info (champion and challenger of every model), POST /api/v1/admin/reload (token: re-check
 * aliases, preload the default champion) and GET /metrics (Prometheus text; METRICS_TOKEN when it is set).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ModelInfoResponse, ReloadResponse, servingRoutes } from '@sentiment-edge/registry';
import { access, requireMetricsToken } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import { newApp } from '../openapi-app.ts';
import { modelCache } from '../inference/model-cache.ts';
import { ORT_VERSION } from '../inference/ort.ts';
import { countHistoryBySource } from '../db/history.ts';
import { readMonitorGauges } from '../db/drift.ts';
import { readRollupTotals } from '../db/rollups.ts';
import { monitorLines } from '../serving/monitor-gauges.ts';
import { renderMetrics } from '../serving/prometheus.ts';
import { modelInfo } from '../serving/model-info.ts';
import { reloadAliases } from '../inference/alias-cache.ts';
import { errors, json } from './responses.ts';

const tags = ['serving'];

/**
 * A D1 read one isolate reuses for `ttlMs`, so that scrapes stay cheap; a failed read is logged and gives
 * null (the scrape leaves those series out rather than failing).
 */
function cachedRead<T>(what: string, ttlMs: number, read: (db: D1Database) => Promise<T>) {
  let cache: { at: number; value: T } | null = null;
  return {
    async get(db: D1Database): Promise<T | null> {
      if (cache && Date.now() - cache.at < ttlMs) return cache.value;
      try {
        const value = await read(db);
        cache = { at: Date.now(), value };
        return value;
      } catch (e) {
        console.warn(`metrics: ${what} failed`, e);
        return null;
      }
    },
    forget(): void {
      cache = null;
    },
  };
}

const historyRows = cachedRead('counting history rows', 60_000, countHistoryBySource);

/** How long one isolate reuses its read of the D1 rollups, so that scrapes stay cheap. */
export const ROLLUP_CACHE_MS = 5_000;
const rollupTotals = cachedRead('reading the rollups', ROLLUP_CACHE_MS, readRollupTotals);
const monitorGauges = cachedRead('reading the drift reports', ROLLUP_CACHE_MS, readMonitorGauges);

/** Makes the next scrape read D1 again (tests). */
export function forgetRollupCache(): void {
  rollupTotals.forget();
  monitorGauges.forget();
}

export function servingOpsApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  const infoPath = servingRoutes.modelInfo();
  app.openapi(
    createRoute({
      method: 'get',
      path: infoPath,
      tags,
      summary: 'Champion and challenger of every model, and whether this isolate has them loaded',
      responses: { 200: json(ModelInfoResponse, 'Models') },
    }),
    async (c) => c.json(await modelInfo(c.env.DB, c.env.DEFAULT_MODEL), 200, { 'Cache-Control': 'no-store' }),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: servingRoutes.reload(),
      tags,
      summary: 'Re-check aliases now (this isolate), drop sessions whose alias moved, and preload the default champion',
      ...access('operator'),
      responses: { 200: json(ReloadResponse, 'Reloaded'), ...errors(401, 403) },
    }),
    async (c) => {
      const result = await reloadAliases(c.env.DB, c.env.DEFAULT_MODEL);
      const loaded: string[] = [];
      const champion = result.aliases[`${c.env.DEFAULT_MODEL}@champion`];
      if (champion) {
        await modelCache.get(c.env, c.env.DEFAULT_MODEL, champion, 'int8');
        loaded.push(`${c.env.DEFAULT_MODEL}@${champion}:int8`);
      }
      const reloaded = Object.entries(result.aliases).map(([k, v]) => `${k}=${v ?? 'none'}`);
      return c.json({ reloaded, ...result, loaded }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['ops'],
      summary: 'Prometheus metrics: fleet-wide counters and histograms from D1 rollups, sentiment_isolate_* per isolate. Needs METRICS_TOKEN when it is set',
      security: [{ bearerAuth: [] }],
      middleware: [requireMetricsToken],
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } }, ...errors(401, 403) },
    }),
    async (c) => {
      const [rows, rollups, monitor] = await Promise.all([historyRows.get(c.env.DB), rollupTotals.get(c.env.DB), monitorGauges.get(c.env.DB)]);
      const body = renderMetrics({ loadedSessions: modelCache.loaded(), historyRows: rows, rollups, monitor: monitorLines(monitor) });
      return c.text(body, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store', 'X-ORT-Version': ORT_VERSION });
    },
  );
  return app;
}
