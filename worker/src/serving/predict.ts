/**
 * /predict as a data function (routes/predict.ts validates the body with the registry's PredictRequest): resolve the model, run the cached ONNX session
 * (one batched run for all texts), and build the answer plus the history rows to record.
 */
import { MAX_CLIENT_KEY_CHARS, toPrediction, type HistoryRecord, type PredictManyResponse, type PredictOneResponse, type EdgePrediction } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { checkLanguage } from '@sentiment-edge/registry/language';
import { analyze, DEFAULT_PRECISION, modelCache, StillLoading, versionAtFault, type LoadedModel, type Precision } from '../inference/model-cache.ts';
import { recordModelLoad } from './prometheus.ts';
import { resolveModel, type ResolveOptions, type Resolved } from './resolve.ts';
import { sha256Hex } from './history.ts';
import { recordVersionError } from '../db/promotion.ts';

export interface PredictInput {
  texts: string[];
  /** `{text}` (answer PredictOneResponse) rather than `{texts}` (PredictManyResponse). */
  single: boolean;
  model?: string;
  precision: Precision;
  /** The body's `clientKey` (the canary share's client key; routes/predict.ts falls back to the header, then the IP). */
  clientKey?: string;
}

/** Why a client key is not acceptable (`where`: how the client sent it), or null. */
export function clientKeyProblem(key: unknown, where: string): string | null {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_CLIENT_KEY_CHARS || /[^\x21-\x7e]/.test(key)) {
    return `${where} must be 1-${MAX_CLIENT_KEY_CHARS} printable ASCII characters without spaces (a random id the client keeps, e.g. a UUID); it picks the model version for the canary share`;
  }
  return null;
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
