/**
 * POST /api/v1/predict and /predict: the body is validated by the registry's PredictRequest schema (400, or 413
 * for too many or too long texts), the texts are trimmed and checked as Unicode, and serving/predict.ts answers.
 * History rows, rate-limit counting and shadow scoring run after the answer.
 */
import { createRoute, type OpenAPIHono, type RouteHandler } from '@hono/zod-openapi';
import { CLIENT_KEY_HEADER, MAX_TEXT_CHARS, MAX_TEXTS, PredictQuery, PredictRequest, PredictResponse, servingRoutes } from '@sentiment-edge/registry';
import type { Context } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { newApp } from '../openapi-app.ts';
import { DEFAULT_PRECISION } from '../inference/model-cache.ts';
import { shadowRate } from '../monitor/config.ts';
import { sampleShadow, scoreShadow } from '../monitor/shadow.ts';
import { countClient, limitKeyAfter, predictCost, refuseRemembered } from '../rate-limit.ts';
import { queueHistory } from '../serving/history.ts';
import { recordPredictLatency } from '../serving/prometheus.ts';
import { clientKeyProblem, predict, type PredictInput } from '../serving/predict.ts';
import { textProblem } from '../serving/text.ts';
import { afterResponse, callerIsOperator, jsonLimit, storeText, wrongTokenFirst } from './after-response.ts';
import { errors, json } from './responses.ts';

/** Largest predict body accepted before parsing: 256 texts × 5000 characters × 4 bytes, plus JSON. */
export const MAX_PREDICT_BODY_BYTES = MAX_TEXTS * MAX_TEXT_CHARS * 4 + 64 * 1024;

/** The validated body as predict() takes it: texts trimmed (a leading BOM too) and valid Unicode; ?dtype wins over precision. */
function predictInput(body: PredictRequest, dtype: PredictInput['precision'] | undefined): PredictInput {
  const texts = (body.texts ?? [body.text as string]).map((t, i) => {
    const trimmed = t.trim();
    const path = body.texts !== undefined ? `texts.${i}` : 'text';
    const problem = textProblem(trimmed, path, { bom: 'allow' });
    if (problem) throw new ApiError(400, 'validation_failed', problem, { path });
    return trimmed;
  });
  return {
    texts,
    single: body.texts === undefined,
    ...(body.model !== undefined ? { model: body.model } : {}),
    ...(body.clientKey !== undefined ? { clientKey: body.clientKey } : {}),
    precision: dtype ?? body.precision ?? DEFAULT_PRECISION,
  };
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

const predictRoute = (path: string) =>
  createRoute({
    method: 'post',
    path,
    tags: ['serving'],
    summary: 'Classify one text or a batch with the ONNX model inside the Worker (int8 by default). Per-client limit (429), a request costing ceil(texts / 16) or ceil(characters / 2000) units, whichever is more; anonymous requests get the champion or canary at int8, anything else needs the token (401; a wrong token is 403)',
    middleware: [wrongTokenFirst, jsonLimit(MAX_PREDICT_BODY_BYTES)] as const,
    request: { query: PredictQuery, body: { required: true, content: { 'application/json': { schema: PredictRequest } } } },
    responses: { 200: json(PredictResponse, 'Predictions'), ...errors(400, 401, 403, 404, 413, 415, 429, 503) },
  });

/** POST /api/v1/predict and its short form /predict, one handler. */
export function predictApp(): OpenAPIHono<AppEnv> {
  const app = newApp();
  for (const path of [servingRoutes.predict(), '/predict']) app.openapi(predictRoute(path), handlePredict);
  return app;
}

const handlePredict: RouteHandler<ReturnType<typeof predictRoute>, AppEnv> = async (c) => {
    const started = performance.now();
    const operator = await callerIsOperator(c);
    const input = predictInput(c.req.valid('json'), c.req.valid('query').dtype);
    // The limiter is asked after the answer (no latency on the hot path); a client it finds over its limit
    // is remembered by this isolate and refused at once from its next request on (rate-limit.ts).
    if (!operator) {
      refuseRemembered(c.env, c.req.raw, 'PREDICT_LIMITER');
      afterResponse(c, countClient(c.env, c.req.raw, 'PREDICT_LIMITER', predictCost(input.texts)));
      // With an API key: the key is counted too, from every address (refused at once once over).
      const perKey = limitKeyAfter(c, predictCost(input.texts));
      if (perKey) afterResponse(c, perKey);
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
};
