/**
 * Serving routes: POST /api/v1/predict (and /predict), GET/POST /api/v1/history,
 * GET /api/v1/model-info, POST /api/v1/admin/reload (token), GET /metrics.
 * Bodies are parsed by the data functions (predict.ts, history.ts) so that limits answer 413 and
 * shape errors 400, exactly as the contract (registry/src/api.ts) says; the OpenAPI entries below
 * document them.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { API_PREFIX, CLIENT_KEY_HEADER, MAX_CLIENT_KEY_CHARS, MAX_HISTORY_BATCH, MAX_TEXT_CHARS, MAX_TEXTS, servingRoutes } from '@sentiment-edge/registry';
import type { Context, MiddlewareHandler } from 'hono';
import { publicCaller, requireMetricsToken, requireReadToken, requireToken } from '../auth.ts';
import type { AppEnv, Env } from '../env.ts';
import { ApiError } from '../errors.ts';
import { modelCache } from '../inference/model-cache.ts';
import { ORT_VERSION } from '../inference/ort.ts';
import { newApp } from '../openapi-app.ts';
import { countClient, limitClient, predictCost, refuseRemembered } from '../rate-limit.ts';
import { errors, json } from '../schemas.ts';
import { countHistoryBySource, insertHistory, listHistory } from '../db/history.ts';
import { clientHash, HistoryQueryInput, parseSyncBody, queueError, queueHistory } from './history.ts';
import { readRollupTotals } from '../db/rollups.ts';
import { recordPredictLatency, renderMetrics } from './prometheus.ts';
import { modelInfo } from './model-info.ts';
import { clientKeyProblem, parsePredictBody, predict, type PredictInput } from './predict.ts';
import { reloadAliases } from '../inference/alias-cache.ts';
import { shadowRate } from '../monitor/config.ts';
import { monitorLines } from './monitor-gauges.ts';
import { readMonitorGauges } from '../db/drift.ts';
import { sampleShadow, scoreShadow } from '../monitor/shadow.ts';

/** Largest predict body accepted before parsing: 256 texts × 5000 characters × 4 bytes, plus JSON. */
export const MAX_PREDICT_BODY_BYTES = MAX_TEXTS * MAX_TEXT_CHARS * 4 + 64 * 1024;
/** Largest history sync body: 500 rows of at most ~25 kB each. */
export const MAX_HISTORY_BODY_BYTES = MAX_HISTORY_BATCH * 25 * 1024;

const storeText = (env: Env) => env.STORE_TEXT === 'true';

/** Reads a JSON body with a size limit: 413 over the limit, 400 for malformed JSON. */
async function readJson(c: Context<AppEnv>, limit: number): Promise<unknown> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new ApiError(413, 'payload_too_large', `request body is ${declared} bytes; the limit is ${limit}`);
  const text = await c.req.text();
  if (text.length > limit) throw new ApiError(413, 'payload_too_large', `request body is over ${limit} bytes`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw ApiError.badRequest(`malformed JSON body: ${(e as Error).message}. Send valid JSON, e.g. {"text": "great movie"}`);
  }
}

/** Runs work after the answer (waitUntil), or inline where there is no execution context (app.request in tests). */
function afterResponse(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((e: unknown) => console.error('background work failed', e));
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  if (ctx) ctx.waitUntil(logged);
}

/**
 * Counts the error responses of the routes under `route` (a pattern: few label values) for the D1
 * `metric_errors` rollup, written with this isolate's next coalesced history write.
 */
function countErrors(route: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.res.status >= 400) {
      const write = queueError(c.env.DB, route, c.res.status);
      if (write) afterResponse(c, write);
    }
  };
}

/** Whether the request carries REGISTRY_TOKEN (403 for a wrong token: auth.ts publicCaller). */
async function callerIsOperator(c: Context<AppEnv>): Promise<boolean> {
  return (await publicCaller(c)) === 'REGISTRY_TOKEN';
}

/**
 * The client key for the canary share: the body's `clientKey`, else the X-Client-Key header (the PWA
 * sends a random id it keeps in localStorage), else the caller's IP address (CF-Connecting-IP), else
 * none (the champion answers). The key is only hashed (registry canary.ts), never stored.
 */
function clientKeyOf(c: Context<AppEnv>, input: PredictInput): string | null {
  if (input.clientKey) return input.clientKey;
  const header = c.req.header(CLIENT_KEY_HEADER);
  if (header !== undefined) {
    const problem = clientKeyProblem(header, `the ${CLIENT_KEY_HEADER} header`);
    if (problem) throw new ApiError(400, 'validation_failed', problem, { header: CLIENT_KEY_HEADER });
    return header;
  }
  const ip = c.req.header('cf-connecting-ip');
  return ip ? `ip:${ip}` : null;
}

async function handlePredict(c: Context<AppEnv>): Promise<Response> {
  const started = performance.now();
  const operator = await callerIsOperator(c);
  const input = parsePredictBody(await readJson(c, MAX_PREDICT_BODY_BYTES), c.req.query('dtype') ?? null);
  // The limiter is asked after the answer (no latency on the hot path); a client it finds over its limit
  // is remembered by this isolate and refused at once from its next request on (rate-limit.ts).
  if (!operator) {
    refuseRemembered(c.env, c.req.raw, 'PREDICT_LIMITER');
    afterResponse(c, countClient(c.env, c.req.raw, 'PREDICT_LIMITER', predictCost(input.texts)));
  }
  const clientKey = clientKeyOf(c, input);
  const result = await predict(c.env, input, started, { operator, defer: (work) => afterResponse(c, work), clientKey });
  const { name, version } = result.resolved;
  recordPredictLatency(name, version, result.latencyMs);
  const store = storeText(c.env);
  // Hashing and the D1 write happen after the answer; writes are coalesced per isolate (history.ts).
  const rows = result.historyRecords(store);
  afterResponse(
    c,
    rows.then((r) => queueHistory(c.env.DB, r, store)),
  );
  // Shadow scoring by the challenger, for a sample of champion answers, also after the answer (monitor/shadow.ts).
  if (sampleShadow(result.resolved.ref, name, shadowRate(c.env))) {
    afterResponse(
      c,
      rows.then((r) => scoreShadow(c.env, name, version, input.precision, input.texts, r, { defer: (work) => afterResponse(c, work) })),
    );
  }
  return c.json(result.response, 200, { 'Cache-Control': 'no-store', 'X-Model-Version': `${name}@${version}`, 'X-Model-Ref': result.resolved.ref });
}

// ---- OpenAPI documentation of the routes (handled below as plain routes) -------------------

const Probabilities = z.record(z.string(), z.number()).openapi({ example: { negative: 0.08, positive: 0.92 } });
const PredictionSchema = z.object({
  id: z.string().openapi({ description: 'The history row of this answer: POST /api/v1/feedback with it to correct the label.' }),
  label: z.string(),
  score: z.number(),
  probabilities: Probabilities,
  language: z
    .object({
      detected: z.string().nullable().openapi({ description: 'BCP 47 code of the language detected (franc-min), or null for texts under 20 characters or that cannot be placed', example: 'it' }),
      supported: z.boolean().openapi({ description: 'false only when the text (20+ characters) is confidently in a language the model was not trained on (config.json sentiment_edge.languages), its words are mostly unknown to the model, and none of the model languages is a close second: then the answer may be wrong' }),
    })
    .openapi({ description: 'The text\'s language and whether the model knows it' }),
});
const ModelRefSchema = z.object({ name: z.string(), version: z.number().int() }).openapi({ description: 'The version that served the answer (the canary, for clients in its share)' });
const RefSchema = z.string().openapi({ description: 'How the version was chosen: NAME@champion, NAME@canary (a champion request in the canary share), NAME@ALIAS or NAME@VERSION', example: 'sentiment@canary' });
const PredictBody = z
  .object({
    text: z.string().optional().openapi({ description: `One text, 1-${MAX_TEXT_CHARS} characters after trimming (a leading byte-order mark is trimmed too; lone surrogates are refused)`, example: 'A wonderful, heartfelt film.' }),
    texts: z.array(z.string()).optional().openapi({ description: `1-${MAX_TEXTS} texts (send text OR texts); one batched run` }),
    model: z.string().optional().openapi({ description: 'NAME, NAME@VERSION or NAME@ALIAS; default: DEFAULT_MODEL@champion', example: 'sentiment@champion' }),
    precision: z.enum(['int8', 'fp32']).optional().openapi({ description: 'int8 (onnx/model_quantized.onnx, default) or fp32 (onnx/model.onnx); also ?dtype=' }),
    clientKey: z
      .string()
      .max(MAX_CLIENT_KEY_CHARS)
      .optional()
      .openapi({ description: `A stable id of the client for the canary share (also the ${CLIENT_KEY_HEADER} header; default: the caller's IP). Requests for NAME or NAME@champion whose key falls in the canary's share are answered by the canary`, example: '3f0c9a2e-6d1b-4a57-9a51-1f9f3f1c2b7e' }),
  })
  .openapi('PredictRequest');
const PredictResponse = z
  .union([
    PredictionSchema.extend({ model: ModelRefSchema, ref: RefSchema, latencyMs: z.number() }).openapi('PredictOneResponse'),
    z.object({ predictions: z.array(PredictionSchema), model: ModelRefSchema, ref: RefSchema, latencyMs: z.number() }).openapi('PredictManyResponse'),
  ])
  .openapi('PredictResponse');
const HistoryRecordSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    model: ModelRefSchema,
    label: z.string(),
    score: z.number(),
    probabilities: Probabilities,
    textLength: z.number().int(),
    textSha256: z.string(),
    text: z.string().nullable(),
    source: z.enum(['edge', 'browser']),
    latencyMs: z.number(),
  })
  .openapi('HistoryRecord');
const VersionInfoSchema = z.object({
  version: z.number().int(),
  labels: z.array(z.string()),
  metrics: z.object({ accuracy: z.number(), macroF1: z.number(), macroRecall: z.number(), dataset: z.string() }),
  createdAt: z.string(),
  bytes: z.number().int(),
  loaded: z.boolean(),
});

function document(app: OpenAPIHono<AppEnv>): void {
  const tags = ['serving'];
  const reg = app.openAPIRegistry;
  const predictDoc = (path: string) =>
    reg.registerPath(
      createRoute({
        method: 'post',
        path,
        tags,
        summary: 'Classify one text or a batch with the ONNX model inside the Worker (int8 by default). Per-client limit (429), a request costing ceil(texts / 16) or ceil(characters / 2000) units, whichever is more; anonymous requests get the champion or canary at int8, anything else needs the token (401; a wrong token is 403)',
        request: {
          query: z.object({ dtype: z.enum(['int8', 'fp32']).optional() }),
          body: { required: true, content: { 'application/json': { schema: PredictBody } } },
        },
        responses: { 200: json(PredictResponse, 'Predictions'), ...errors(400, 401, 403, 404, 413, 415, 429, 503) },
      }),
    );
  predictDoc(servingRoutes.predict());
  predictDoc('/predict');
  reg.registerPath(
    createRoute({
      method: 'get',
      path: servingRoutes.history(),
      tags,
      summary: 'Prediction history, newest first, keyset-paginated (pass nextCursor as cursor). Needs REGISTRY_TOKEN or READ_TOKEN: the rows hold what people typed',
      security: [{ bearerAuth: [] }],
      request: { query: z.object({ n: z.number().int().min(1).max(500).optional(), cursor: z.string().optional(), label: z.string().optional(), model: z.string().optional().openapi({ description: 'NAME or NAME@VERSION' }), source: z.enum(['edge', 'browser']).optional() }) },
      responses: { 200: json(z.object({ items: z.array(HistoryRecordSchema), nextCursor: z.string().nullable() }).openapi('HistoryPage'), 'A page'), ...errors(400, 401, 403) },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'post',
      path: servingRoutes.history(),
      tags,
      summary: `Sync up to ${MAX_HISTORY_BATCH} browser-made predictions; idempotent by id. Public (browsers have no token) but validated against the registry: source "browser" only, model@version ready or archived, probabilities = the model's labels summing to 1, score = the label's (top) probability, textSha256/textLength = the text's when sent, createdAt from 2020 to 5 minutes ahead; a batch repeating an id is refused (400), not deduplicated`,
      request: { body: { required: true, content: { 'application/json': { schema: z.object({ items: z.array(HistoryRecordSchema).max(MAX_HISTORY_BATCH) }) } } } },
      responses: { 200: json(z.object({ inserted: z.number().int(), duplicates: z.number().int() }).openapi('HistorySyncResponse'), 'Stored'), ...errors(400, 403, 413, 415, 429) },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'get',
      path: servingRoutes.modelInfo(),
      tags,
      summary: 'Champion and challenger of every model, and whether this isolate has them loaded',
      responses: {
        200: json(z.object({ defaultModel: z.string(), models: z.array(z.object({ name: z.string(), champion: VersionInfoSchema.nullable(), challenger: VersionInfoSchema.nullable() })) }).openapi('ModelInfoResponse'), 'Models'),
      },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'post',
      path: servingRoutes.reload(),
      tags,
      summary: "Re-check aliases now (this isolate), drop sessions whose alias moved, and preload the default champion",
      security: [{ bearerAuth: [] }],
      responses: { 200: json(z.object({ reloaded: z.array(z.string()), aliases: z.record(z.string(), z.number().nullable()), evicted: z.array(z.string()), loaded: z.array(z.string()) }), 'Reloaded'), ...errors(401, 403) },
    }),
  );
  reg.registerPath(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['ops'],
      summary: 'Prometheus metrics: fleet-wide counters and histograms from D1 rollups, sentiment_isolate_* per isolate. Needs METRICS_TOKEN when it is set',
      security: [{ bearerAuth: [] }],
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } }, ...errors(401, 403) },
    }),
  );
}

// ---- routes ------------------------------------------------------------------------------

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

export function servingApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  for (const route of [`${API_PREFIX}/predict`, '/predict', `${API_PREFIX}/history`, `${API_PREFIX}/model-info`, `${API_PREFIX}/admin/*`]) app.use(route, countErrors(route));

  app.post(servingRoutes.predict(), handlePredict);
  app.post('/predict', handlePredict);

  app.get(servingRoutes.history(), requireReadToken, async (c) => {
    const q = HistoryQueryInput.safeParse(c.req.query());
    if (!q.success) throw ApiError.validation(q.error.issues, 'history query');
    const { cursor, label, model, source, n } = q.data;
    const page = await listHistory(c.env.DB, { n, ...(cursor ? { cursor } : {}), ...(label ? { label } : {}), ...(model ? { model } : {}), ...(source ? { source } : {}) });
    return c.json(page, 200, { 'Cache-Control': 'no-store' });
  });

  app.post(servingRoutes.history(), async (c) => {
    // The limiter first: a flood of invalid (or huge) syncs is refused before its body is read or checked.
    if (!(await callerIsOperator(c))) await limitClient(c.env, c.req.raw, 'HISTORY_LIMITER');
    const records = await parseSyncBody(c.env.DB, await readJson(c, MAX_HISTORY_BODY_BYTES));
    const result = await insertHistory(c.env.DB, records, storeText(c.env), [], await clientHash(c.req.raw));
    // insertHistory adds the newly inserted rows (not duplicates) to the D1 metric rollups.
    return c.json(result, 200);
  });

  app.get(servingRoutes.modelInfo(), async (c) => c.json(await modelInfo(c.env.DB, c.env.DEFAULT_MODEL), 200, { 'Cache-Control': 'no-store' }));

  app.post(servingRoutes.reload(), requireToken, async (c) => {
    const result = await reloadAliases(c.env.DB, c.env.DEFAULT_MODEL);
    const loaded: string[] = [];
    const champion = result.aliases[`${c.env.DEFAULT_MODEL}@champion`];
    if (champion) {
      await modelCache.get(c.env, c.env.DEFAULT_MODEL, champion, 'int8');
      loaded.push(`${c.env.DEFAULT_MODEL}@${champion}:int8`);
    }
    const reloaded = Object.entries(result.aliases).map(([k, v]) => `${k}=${v ?? 'none'}`);
    return c.json({ reloaded, ...result, loaded }, 200);
  });

  app.get('/metrics', requireMetricsToken, async (c) => {
    const [rows, rollups, monitor] = await Promise.all([historyRows.get(c.env.DB), rollupTotals.get(c.env.DB), monitorGauges.get(c.env.DB)]);
    const body = renderMetrics({ loadedSessions: modelCache.loaded(), historyRows: rows, rollups, monitor: monitorLines(monitor) });
    return c.text(body, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store', 'X-ORT-Version': ORT_VERSION });
  });

  document(app);
  return app;
}

/** Mounts the serving routes on the Worker's app (one call in app.ts). */
export function registerServingRoutes(app: OpenAPIHono<AppEnv>): void {
  app.route('/', servingApp());
}
