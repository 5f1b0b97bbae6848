/**
 * /predict as a data function: validate the body, resolve the model, run the cached ONNX session
 * (one batched run for all texts), and build the answer plus the history rows to record.
 */
import { MAX_CLIENT_KEY_CHARS, MAX_TEXT_CHARS, MAX_TEXTS, toPrediction, type HistoryRecord, type PredictManyResponse, type PredictOneResponse, type EdgePrediction } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { checkLanguage } from '@sentiment-edge/registry/language';
import { analyze, DEFAULT_PRECISION, modelCache, PRECISIONS, StillLoading, versionAtFault, type LoadedModel, type Precision } from '../inference/model-cache.ts';
import { recordModelLoad } from './prometheus.ts';
import { resolveModel, type ResolveOptions, type Resolved } from './resolve.ts';
import { sha256Hex } from './history.ts';
import { textProblem } from './text.ts';
import { recordVersionError } from '../db/promotion.ts';

export interface PredictInput {
  texts: string[];
  /** `{text}` (answer PredictOneResponse) rather than `{texts}` (PredictManyResponse). */
  single: boolean;
  model?: string;
  precision: Precision;
  /** The body's `clientKey` (the canary share's client key; routes.ts falls back to the header, then the IP). */
  clientKey?: string;
}

/** Why a client key is not acceptable (`where`: how the client sent it), or null. */
export function clientKeyProblem(key: unknown, where: string): string | null {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_CLIENT_KEY_CHARS || /[^\x21-\x7e]/.test(key)) {
    return `${where} must be 1-${MAX_CLIENT_KEY_CHARS} printable ASCII characters without spaces (a random id the client keeps, e.g. a UUID); it picks the model version for the canary share`;
  }
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Counts characters as code points, so one emoji is one character. */
function charCount(s: string): number {
  if (s.length <= MAX_TEXT_CHARS) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Validates a predict body. `dtype` is the `?dtype=` query parameter (wins over the body's
 * `precision`). 400 for wrong shapes and empty texts, 413 for too many or too long texts.
 */
export function parsePredictBody(body: unknown, dtype?: string | null): PredictInput {
  if (!isObject(body)) throw new ApiError(400, 'validation_failed', 'the body must be a JSON object: {"text": "…"} or {"texts": ["…", …]}');
  const { text, texts, model, precision, clientKey } = body;
  if ((text === undefined) === (texts === undefined)) {
    throw new ApiError(400, 'validation_failed', 'send exactly one of "text" (a string) or "texts" (an array of strings)');
  }
  if (model !== undefined && typeof model !== 'string') throw new ApiError(400, 'validation_failed', '"model" must be a string: NAME, NAME@VERSION or NAME@ALIAS', { path: 'model' });
  if (clientKey !== undefined) {
    const problem = clientKeyProblem(clientKey, '"clientKey"');
    if (problem) throw new ApiError(400, 'validation_failed', problem, { path: 'clientKey' });
  }
  if (precision === null) throw new ApiError(400, 'validation_failed', `precision must be one of ${PRECISIONS.join(', ')} or left out (got null)`, { path: 'precision' });
  const p = dtype ?? precision ?? DEFAULT_PRECISION;
  if (typeof p !== 'string' || !(PRECISIONS as readonly string[]).includes(p)) {
    throw new ApiError(400, 'validation_failed', `precision/dtype must be one of ${PRECISIONS.join(', ')} (got ${JSON.stringify(p)})`, { path: 'precision' });
  }
  let list: unknown[];
  if (texts !== undefined) {
    if (!Array.isArray(texts)) throw new ApiError(400, 'validation_failed', '"texts" must be an array of strings', { path: 'texts' });
    if (texts.length === 0) throw new ApiError(400, 'validation_failed', '"texts" is empty: send 1 to 256 texts', { path: 'texts' });
    if (texts.length > MAX_TEXTS) {
      throw new ApiError(413, 'payload_too_large', `at most ${MAX_TEXTS} texts per request (got ${texts.length}); split them into several requests`, { path: 'texts', max: MAX_TEXTS, got: texts.length });
    }
    list = texts;
  } else list = [text];
  const out = list.map((t, i) => {
    const path = texts !== undefined ? `texts.${i}` : 'text';
    if (typeof t !== 'string') throw new ApiError(400, 'validation_failed', `${path} must be a string`, { path });
    // trim() also strips a leading byte-order mark (U+FEFF is white space to JavaScript).
    const trimmed = t.trim();
    if (trimmed.length === 0) throw new ApiError(400, 'validation_failed', `${path} is empty or only whitespace: send some text to classify`, { path });
    const n = charCount(trimmed);
    if (n > MAX_TEXT_CHARS) {
      throw new ApiError(413, 'payload_too_large', `${path} has ${n} characters; the limit is ${MAX_TEXT_CHARS} after trimming. Send a shorter text`, { path, max: MAX_TEXT_CHARS, got: n });
    }
    const problem = textProblem(trimmed, path, { bom: 'allow' });
    if (problem) throw new ApiError(400, 'validation_failed', problem, { path });
    return trimmed;
  });
  return { texts: out, single: texts === undefined, ...(model !== undefined ? { model } : {}), ...(clientKey !== undefined ? { clientKey: clientKey as string } : {}), precision: p as Precision };
}

export interface PredictEnv {
  DB: D1Database;
  MODELS: R2Bucket;
  DEFAULT_MODEL: string;
}

export interface PredictResult {
  response: PredictOneResponse | PredictManyResponse;
  resolved: Resolved;
  predictions: EdgePrediction[];
  latencyMs: number;
  /** Builds the history rows (hashing the texts); called off the response path. */
  historyRecords(storeText: boolean): Promise<HistoryRecord[]>;
}

/**
 * Runs a validated request. `started` is when the request arrived (performance.now()); `resolve`
 * passes the request's background hook and token check to the resolver (see resolve.ts).
 */
export async function predict(env: PredictEnv, input: PredictInput, started = performance.now(), resolve: Omit<ResolveOptions, 'now'> = {}): Promise<PredictResult> {
  // Anonymous requests are served at the default precision only (with resolve.ts's aliases rule: they cannot evict sessions).
  if (input.precision !== DEFAULT_PRECISION && !resolve.operator) {
    throw new ApiError(401, 'unauthorized', `precision ${input.precision} needs the registry token; anonymous requests are served ${DEFAULT_PRECISION} (leave precision out). Send "Authorization: Bearer <REGISTRY_TOKEN>" for ${input.precision}`, { precision: input.precision }, { 'WWW-Authenticate': 'Bearer realm="sentiment-edge"' });
  }
  const resolved = await resolveModel(env.DB, input.model, env.DEFAULT_MODEL, resolve);
  const onLoad = (m: LoadedModel) => recordModelLoad(m.name, m.version, m.precision, m.loadMs);
  let loaded: LoadedModel;
  let analysed: Awaited<ReturnType<typeof analyze>>;
  try {
    loaded = await modelCache.get(env, resolved.name, resolved.version, input.precision, onLoad);
    // Evicted (alias moved, reload) between the load and now: its session may be released, take a fresh one.
    // analyze() marks the session in use synchronously, so no release can slip in after this check.
    if (loaded.evicted) loaded = await modelCache.get(env, resolved.name, resolved.version, input.precision, onLoad);
    analysed = await analyze(loaded, input.texts);
  } catch (e) {
    // The version failed through its own fault (a load or an inference that failed; not a 4xx such as a precision
    // it does not have, not a wait for another request's load): its error rate, for the promotion policy.
    if (versionAtFault(e)) {
      const write = recordVersionError(env.DB, resolved.name, resolved.version, input.texts.length).catch((err: unknown) => console.error('version error not recorded', err));
      if (resolve.defer) resolve.defer(write);
      else await write;
    }
    throw e;
  }
  const { probabilities: probs, stats } = analysed;
  // Each answer names its history row, so a client can correct it (POST /api/v1/feedback).
  // `language`: the text's language and whether the model knows it (registry/src/language.ts: the rule).
  const languages = loaded.classifier.languages;
  const predictions: EdgePrediction[] = probs.map((p, i) => ({
    id: crypto.randomUUID(),
    ...toPrediction(p, loaded.labels),
    language: checkLanguage(input.texts[i]!, languages, stats[i]!.unknownShare),
  }));
  const latencyMs = round3(performance.now() - started);
  const model = { name: resolved.name, version: resolved.version };
  // `model` names the version that served (the canary's for clients in its share), `ref` how it was chosen.
  const { ref } = resolved;
  const response: PredictOneResponse | PredictManyResponse = input.single ? { ...predictions[0]!, model, ref, latencyMs } : { predictions, model, ref, latencyMs };
  const createdAt = new Date().toISOString();
  const perText = round3(latencyMs / input.texts.length);
  return {
    response,
    resolved,
    predictions,
    latencyMs,
    historyRecords: async (storeText) =>
      Promise.all(
        input.texts.map(async (text, i): Promise<HistoryRecord> => ({
          id: predictions[i]!.id,
          createdAt,
          model,
          label: predictions[i]!.label,
          score: predictions[i]!.score,
          probabilities: predictions[i]!.probabilities,
          textLength: text.length,
          textSha256: await sha256Hex(text),
          text: storeText ? text : null,
          source: 'edge',
          latencyMs: perText,
          tokens: stats[i]!.tokens,
          unknownShare: stats[i]!.unknownShare,
        })),
      ),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
