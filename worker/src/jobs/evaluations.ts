/**
 * Evaluation runs off the request path. POST /api/v1/evaluations parses the CSV in the request (so a bad
 * file is still a 400 naming its line), then scores at most EVALUATION_INLINE_ROWS rows inline (201); a
 * bigger file is stored in R2, its row written 'running', and a message {id, key} sent to EVALUATION_QUEUE
 * (202). The Queue consumer (`consumeEvaluations`, the Worker's `queue` handler) reads the CSV back from R2,
 * checks it is the bytes the row names (sha256), parses and scores it in batches of EVALUATION_BATCH texts
 * with the same session cache and engine as /predict, and finishes the row.
 *
 * Failures: bad data (a 4xx ApiError: the file is gone or replaced) fails the run at once; anything else is
 * retried by the queue (`msg.retry()`, wrangler.toml max_retries and retry_delay) and fails the run on the
 * last attempt. A consumer killed outright (CPU limit) is retried by the platform and then lands in the
 * dead-letter queue; the hourly job fails runs 'running' past EVALUATION_TIMEOUT_MINUTES (monitor/run.ts).
 * A message delivered again after its run finished is acknowledged without work: the consumer scores only
 * rows still 'running', and `finishEvaluation` writes only a 'running' row, so a run is finished once.
 */
import { sha256Hex, type EvaluationRun } from '@sentiment-edge/registry';
import { failEvaluation, finishEvaluation, getEvaluation } from '../db/evaluations.ts';
import type { Env } from '../env.ts';
import { ApiError } from '../errors.ts';
import { modelCache, type LoadedModel } from '../inference/model-cache.ts';
import { evaluationMetrics, parseEvaluationCsv, scoreTexts, type ParsedDataset } from '../inference/score-dataset.ts';

/** The queue message: the run's id and the R2 key of its CSV, never the rows. */
export interface EvaluationMessage {
  id: string;
  key: string;
}

/** Deliveries of one message: the first plus wrangler.toml's `max_retries = 3`. Keep them equal. */
export const EVALUATION_ATTEMPTS = 4;
export const DEFAULT_INLINE_ROWS = 2_000;

const wholeNumber = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return raw !== undefined && raw.trim() !== '' && Number.isSafeInteger(n) && n >= 0 ? n : fallback;
};

/** Rows scored inside the request (EVALUATION_INLINE_ROWS); bigger runs go to the queue. */
export const inlineRows = (env: Pick<Env, 'EVALUATION_INLINE_ROWS'>) => wholeNumber(env.EVALUATION_INLINE_ROWS, DEFAULT_INLINE_ROWS);

/** Scores parsed rows on a loaded model and finishes the 'running' row with the metrics. */
export async function scoreAndFinish(env: Env, id: string, model: LoadedModel, ds: ParsedDataset): Promise<EvaluationRun> {
  const started = performance.now();
  const metrics = evaluationMetrics(ds.labelIds, await scoreTexts(env, model, ds.texts), model.labels);
  return finishEvaluation(env.DB, id, metrics, Math.round((performance.now() - started) * 1000) / 1000);
}

/** One queued run: read back, verify, parse, score, finish. Returns without work when the run is no longer 'running'. */
export async function runQueuedEvaluation(env: Env, m: EvaluationMessage): Promise<EvaluationRun | null> {
  const run = await getEvaluation(env.DB, m.id);
  if (!run || run.status !== 'running') return null;
  const obj = await env.MODELS.get(m.key);
  if (!obj) throw ApiError.notFound(`the CSV of evaluation ${m.id} (R2 ${m.key}) is gone: upload it again`);
  const bytes = new Uint8Array(await obj.arrayBuffer());
  if ((await sha256Hex(bytes)) !== run.dataset.sha256) {
    throw new ApiError(409, 'conflict', `R2 ${m.key} was replaced by another upload before evaluation ${m.id} was scored (sha256 differs): upload the file again, or under its own dataset name`);
  }
  const ds = await parseEvaluationCsv(new TextDecoder().decode(bytes), run.labels, run.dataset.name);
  const model = await modelCache.get(env, run.model.name, run.model.version, run.precision);
  return scoreAndFinish(env, run.id, model, ds);
}

/** The Queue consumer: one run per message; permanent errors fail the run, others are retried until the last attempt. */
export async function consumeEvaluations(batch: MessageBatch<EvaluationMessage>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    try {
      const run = await runQueuedEvaluation(env, msg.body);
      if (run) console.log(`evaluation ${run.id}: ${run.dataset.rows} rows scored in ${run.durationMs} ms (attempt ${msg.attempts})`);
      msg.ack();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const permanent = e instanceof ApiError && e.status < 500;
      if (permanent || msg.attempts >= EVALUATION_ATTEMPTS) {
        await failEvaluation(env.DB, msg.body.id, permanent ? message : `${message} (gave up after ${msg.attempts} attempts)`, null);
        msg.ack();
      } else {
        console.warn(`evaluation ${msg.body.id}: attempt ${msg.attempts} of ${EVALUATION_ATTEMPTS} failed, retried: ${message}`);
        msg.retry();
      }
    }
  }
}
