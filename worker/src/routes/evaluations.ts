/**
 * Evaluation runs: POST /api/v1/evaluations (token) scores a labelled CSV (a `text/csv` upload, kept
 * in R2 as `datasets/<dataset>`, or a dataset already there, by name) on a model version with the
 * same engine and session cache as /predict, or records numbers computed elsewhere (publish-model's
 * gate evaluations); GET /api/v1/evaluations lists them (public, like manifests).
 *
 * The CSV is parsed in the request (a bad file is a 400 naming its line). At most EVALUATION_INLINE_ROWS
 * rows are scored inline (201, the finished run); a bigger file is stored in R2 and queued (202, the
 * 'running' row; jobs/evaluations.ts scores it). GET /api/v1/evaluations/{id} shows when it is done;
 * the registry's client polls it, so its callers get the finished run either way.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  Evaluation,
  evaluationRoutes,
  MAX_EVALUATION_BYTES,
  MAX_EVALUATION_ROWS,
  parseModelRef,
  RefError,
  sha256Hex,
  type EvaluationRun,
} from '@sentiment-edge/registry';
import type { Context } from 'hono';
import { access, callerName, checkModelScope } from '../auth.ts';
import { failEvaluation, getEvaluation, insertFinishedEvaluation, insertRunningEvaluation, listEvaluations } from '../db/evaluations.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { parseEvaluationCsv } from '../inference/score-dataset.ts';
import { inlineRows, scoreAndFinish, type EvaluationMessage } from '../jobs/evaluations.ts';
import { modelCache, type Precision } from '../inference/model-cache.ts';
import { versionLabels } from '../db/versions.ts';
import { newApp } from '../openapi-app.ts';
import { errors, json } from './responses.ts';
import { resolveModel } from '../serving/resolve.ts';
import { isJsonContentType } from '../security-headers.ts';
import { HEAVY_COST, limitCaller } from '../rate-limit.ts';

/** R2 key of a stored evaluation dataset. */
export const datasetKey = (name: string) => `datasets/${name}`;
const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,3}$/;
const DATASET_RULE = 'a dataset name is 1-4 path segments of A-Z a-z 0-9 . _ - (not starting with . or -), e.g. "sst2/validation.csv"';

/** A run's metrics: the manifest's Evaluation (registry manifest.ts) without its dataset, ECE always measured. */
const MetricsSchema = Evaluation.omit({ dataset: true }).extend({ ece: Evaluation.shape.accuracy });
const DatasetRefSchema = z.object({ name: z.string().regex(DATASET_NAME, DATASET_RULE), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lower-case hex digits'), rows: z.number().int().positive().max(10_000_000) });

export const EvaluationRequestSchema = z
  .object({
    model: z.string().min(1).max(200).openapi({ description: 'NAME, NAME@VERSION or NAME@ALIAS (NAME@VERSION with `result`)', example: 'sentiment@champion' }),
    dataset: z.string().regex(DATASET_NAME, DATASET_RULE).optional().openapi({ description: 'score the CSV stored in R2 as datasets/NAME (an earlier upload)' }),
    precision: z.enum(['int8', 'fp32']).optional().openapi({ description: 'int8 (default, what /predict serves) or fp32' }),
    result: MetricsSchema.extend({ dataset: DatasetRefSchema }).optional().openapi({ description: 'record numbers computed elsewhere (publish-model) instead of scoring' }),
    note: z.string().max(500).optional(),
  })
  .refine((b) => (b.dataset === undefined) !== (b.result === undefined), { message: 'send exactly one of "dataset" (score a stored CSV) or "result" (record numbers computed elsewhere); to upload a CSV, POST it as text/csv with ?model=&dataset=' })
  .openapi('EvaluationRequest');

export const EvaluationRunSchema = z
  .object({
    id: z.string(),
    model: z.object({ name: z.string(), version: z.number().int() }),
    precision: z.enum(['int8', 'fp32']),
    source: z.enum(['upload', 'r2', 'client']),
    dataset: z.object({ name: z.string(), sha256: z.string(), rows: z.number().int() }),
    labels: z.array(z.string()),
    status: z.enum(['running', 'succeeded', 'failed']),
    metrics: MetricsSchema.nullable(),
    error: z.string().nullable(),
    durationMs: z.number().nullable(),
    note: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    createdBy: z.string().optional().openapi({ description: "Who started the run: the API key's name, or 'REGISTRY_TOKEN' (absent on runs recorded before this was)" }),
  })
  .openapi('EvaluationRun');

const UploadQuery = z.object({
  model: z.string().min(1).max(200).openapi({ description: 'NAME, NAME@VERSION or NAME@ALIAS', example: 'sentiment@champion' }),
  dataset: z.string().regex(DATASET_NAME, DATASET_RULE).optional().openapi({ description: 'name to store the CSV under (R2 datasets/NAME) and to list it by; default upload-<sha256 prefix>.csv' }),
  precision: z.enum(['int8', 'fp32']).optional(),
  note: z.string().max(500).optional(),
});

const ListQuery = z.object({
  model: z.string().min(1).max(200).optional().openapi({ description: 'model name' }),
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'version is a whole number')
    .transform(Number)
    .optional(),
  dataset: z.string().min(1).max(420).optional().openapi({ description: 'dataset name or sha256: runs on the same sha256 scored the same bytes and compare side by side' }),
  n: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, 'n is 1-1000')
    .transform(Number)
    .pipe(z.number().max(1000))
    .optional(),
});

/** The request's CSV bytes: 413 over MAX_EVALUATION_BYTES (declared or read). */
async function readCsvBody(c: Context<AppEnv>): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length'));
  const tooLarge = (n: number | string) => new ApiError(413, 'payload_too_large', `the CSV is ${n} bytes; an evaluation takes at most ${MAX_EVALUATION_BYTES} bytes (${MAX_EVALUATION_ROWS} rows). Split the file`, { max: MAX_EVALUATION_BYTES });
  if (Number.isFinite(declared) && declared > MAX_EVALUATION_BYTES) throw tooLarge(declared);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_EVALUATION_BYTES) throw tooLarge(bytes.byteLength);
  if (bytes.byteLength === 0) throw ApiError.badRequest('the body is empty: send a CSV with a header row "text,label" and one labelled text per row');
  return bytes;
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw ApiError.badRequest(`${source} is not UTF-8 text: save the CSV as UTF-8 and send it again`);
  }
}

/** Resolves the model reference (404 unknown model/version/alias, 400 malformed). The token was checked by the route. */
async function resolveVersion(c: Context<AppEnv>, ref: string): Promise<{ name: string; version: number }> {
  const name = ref.split('@')[0]!;
  checkModelScope(c, name);
  const r = await resolveModel(c.env.DB, ref, c.env.DEFAULT_MODEL, { operator: true });
  return { name: r.name, version: r.version };
}

/**
 * Parses the CSV against the version's labels, writes the 'running' row and either scores it here and finishes
 * the row (at most EVALUATION_INLINE_ROWS rows; `queued: false`) or sends it to the queue (`queued: true`). An
 * uploaded file (`upload`) is kept in R2 as datasets/NAME once it parsed, before the queue can read it.
 */
async function scoreAndStore(
  c: Context<AppEnv>,
  ref: string,
  precision: Precision,
  source: 'upload' | 'r2',
  dataset: { name: string; sha256: string },
  content: string,
  note: string | undefined,
  upload?: Uint8Array,
): Promise<{ run: EvaluationRun; queued: boolean }> {
  const model = await resolveVersion(c, ref);
  const labels = (await versionLabels(c.env.DB, model.name, model.version))!;
  const ds = await parseEvaluationCsv(content, labels, dataset.name);
  const keep = async () => {
    // Kept for later runs by name (other versions, other precisions); only a file that parsed is stored.
    if (upload) await c.env.MODELS.put(datasetKey(dataset.name), upload, { httpMetadata: { contentType: 'text/csv; charset=utf-8' }, sha256: dataset.sha256 });
  };
  const id = crypto.randomUUID();
  const row = { id, model, precision, source, dataset: { ...dataset, rows: ds.texts.length }, labels, note: note ?? null, createdAt: new Date().toISOString(), createdBy: callerName(c) };
  if (ds.texts.length > inlineRows(c.env)) {
    await keep();
    await insertRunningEvaluation(c.env.DB, row);
    try {
      await c.env.EVALUATION_QUEUE.send({ id, key: datasetKey(dataset.name) } satisfies EvaluationMessage, { contentType: 'json' });
    } catch (e) {
      await failEvaluation(c.env.DB, id, `could not queue the run: ${(e as Error).message}`, null);
      throw e;
    }
    return { run: (await getEvaluation(c.env.DB, id))!, queued: true };
  }
  const loaded = await modelCache.get(c.env, model.name, model.version, precision);
  await insertRunningEvaluation(c.env.DB, row);
  let run: EvaluationRun;
  try {
    run = await scoreAndFinish(c.env, id, loaded, ds);
  } catch (e) {
    await failEvaluation(c.env.DB, id, (e as Error).message, null);
    throw e;
  }
  await keep();
  return { run, queued: false };
}

/** 201 with a finished run, 202 with a queued one (poll GET /api/v1/evaluations/{id}). */
const answer = (c: Context<AppEnv>, r: { run: EvaluationRun; queued: boolean }) =>
  r.queued ? c.json(r.run, 202, { 'Cache-Control': 'no-store', Location: evaluationRoutes.evaluation(r.run.id) }) : c.json(r.run, 201, { 'Cache-Control': 'no-store' });

async function handleCreate(c: Context<AppEnv>) {
  // Before the body is read: per address, and per API key from every address (rate-limit.ts).
  await limitCaller(c, 'HEAVY_LIMITER', HEAVY_COST.evaluation);
  const type = c.req.header('content-type') ?? '';
  if (isJsonContentType(type)) return handleJson(c);
  if (!/^\s*text\/(csv|plain)\s*(;|$)/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send a labelled CSV as Content-Type: text/csv (with ?model=&dataset=), or JSON {"model", "dataset"} to score a stored dataset');
  }
  const q = UploadQuery.safeParse(c.req.query());
  if (!q.success) throw ApiError.validation(q.error.issues, 'query');
  const bytes = await readCsvBody(c);
  const sha256 = await sha256Hex(bytes);
  const name = q.data.dataset ?? `upload-${sha256.slice(0, 12)}.csv`;
  const content = decodeUtf8(bytes, name);
  return answer(c, await scoreAndStore(c, q.data.model, q.data.precision ?? 'int8', 'upload', { name, sha256 }, content, q.data.note, bytes));
}

async function handleJson(c: Context<AppEnv>) {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (e) {
    throw ApiError.badRequest(`malformed JSON body: ${(e as Error).message}`);
  }
  const b = EvaluationRequestSchema.safeParse(raw);
  if (!b.success) throw ApiError.validation(b.error.issues, 'request body');
  const body = b.data;
  if (body.result) {
    let ref;
    try {
      ref = parseModelRef(body.model);
    } catch (e) {
      if (e instanceof RefError) throw ApiError.badRequest(e.message);
      throw e;
    }
    if (ref.kind !== 'version') throw ApiError.badRequest(`a recorded result names its version: "model": "${ref.name}@<version>" (got "${body.model}")`);
    const model = await resolveVersion(c, body.model);
    const labels = (await versionLabels(c.env.DB, model.name, model.version))!;
    const { dataset, ...metrics } = body.result;
    const n = labels.length;
    if (metrics.confusion.length !== n || metrics.confusion.some((r) => r.length !== n) || Object.keys(metrics.perClass).some((k) => !labels.includes(k))) {
      throw new ApiError(400, 'validation_failed', `result.confusion must be ${n}×${n} and result.perClass keyed by the labels of ${model.name}@${model.version}: ${labels.join(', ')}`, { labels });
    }
    const run = await insertFinishedEvaluation(
      c.env.DB,
      { id: crypto.randomUUID(), model, precision: body.precision ?? 'fp32', source: 'client', dataset, labels, note: body.note ?? null, createdAt: new Date().toISOString(), createdBy: callerName(c) },
      metrics,
    );
    return c.json(run, 201, { 'Cache-Control': 'no-store' });
  }
  const name = body.dataset!;
  const obj = await c.env.MODELS.get(datasetKey(name));
  if (!obj) throw ApiError.notFound(`no dataset "${name}" in R2 (datasets/${name}); upload it once as text/csv with ?dataset=${name}`);
  if (obj.size > MAX_EVALUATION_BYTES) throw new ApiError(413, 'payload_too_large', `dataset ${name} is ${obj.size} bytes; an evaluation takes at most ${MAX_EVALUATION_BYTES}`);
  const bytes = new Uint8Array(await obj.arrayBuffer());
  return answer(c, await scoreAndStore(c, body.model, body.precision ?? 'int8', 'r2', { name, sha256: await sha256Hex(bytes) }, decodeUtf8(bytes, name), body.note));
}

export function evaluationApp() {
  const app = newApp();
  const tags = ['evaluations'];
  const path = evaluationRoutes.evaluations();
  // The body is documented from EvaluationRequestSchema and read by handleCreate: CSV or JSON, each with its own
  // limits, and a 415 that says which two types are accepted.
  app.openAPIRegistry.register('EvaluationRequest', EvaluationRequestSchema);
  app.openapi(
    createRoute({
      method: 'post',
      path,
      tags,
      ...access('publisher'),
      summary: `Score a labelled CSV (text,label) on a model version with the /predict engine (inline up to EVALUATION_INLINE_ROWS rows: 201; bigger files in a Queue consumer: 202, then poll GET /api/v1/evaluations/{id}) and store accuracy, macro-F1, per-class P/R/F1, confusion and ECE. Body: text/csv (at most ${MAX_EVALUATION_BYTES} bytes, ${MAX_EVALUATION_ROWS} rows; ?model=&dataset=&precision=; kept in R2 as datasets/NAME), or JSON {model, dataset} for a stored CSV, or JSON {model: NAME@VERSION, result} to record numbers computed elsewhere (publish-model)`,
      request: {
        query: UploadQuery.partial(),
        body: { required: true, content: { 'text/csv': { schema: z.string().openapi({ example: 'text,label\ngreat film,positive\n' }) }, 'application/json': { schema: { $ref: '#/components/schemas/EvaluationRequest' } } } },
      },
      responses: {
        201: json(EvaluationRunSchema, 'The finished run (a recorded result, or a CSV of at most EVALUATION_INLINE_ROWS rows, default 2,000, scored in the request)'),
        202: json(EvaluationRunSchema, 'A bigger CSV, queued: the run with status "running" (Location: its URL). Poll GET /api/v1/evaluations/{id} until the status is "succeeded" or "failed"'),
        ...errors(400, 401, 403, 404, 413, 415, 503),
      },
    }),
    handleCreate,
  );
  app.openapi(
    createRoute({
      method: 'get',
      path,
      tags,
      summary: 'Evaluation runs, newest first, filtered by model name, version and dataset (name or sha256). Runs with the same dataset.sha256 scored the same bytes: compare them side by side',
      request: { query: ListQuery },
      responses: { 200: json(z.object({ evaluations: z.array(EvaluationRunSchema) }).openapi('EvaluationList'), 'Runs'), ...errors(400) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const evaluations = await listEvaluations(c.env.DB, { model: q.model, version: q.version, dataset: q.dataset, n: q.n ?? 100 });
      return c.json({ evaluations }, 200, { 'Cache-Control': 'no-store' });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: `${path}/{id}`,
      tags,
      summary: 'One evaluation run: poll a queued run (202 from POST) until its status is "succeeded" or "failed"',
      request: { params: z.object({ id: z.string().min(1).max(100) }) },
      responses: { 200: json(EvaluationRunSchema, 'The run'), ...errors(404) },
    }),
    async (c) => {
      const run = await getEvaluation(c.env.DB, c.req.valid('param').id);
      if (!run) throw ApiError.notFound(`no evaluation run ${c.req.valid('param').id}: list them with GET ${path}`);
      return c.json(run, 200, { 'Cache-Control': 'no-store' });
    },
  );
  return app;
}
