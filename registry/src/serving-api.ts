/**
 * The serving HTTP contract as zod schemas: /predict, prediction history, model-info and the reload call.
 * The Worker validates request bodies with these objects and documents its routes from them; the types the
 * PWA and the CLI use come from `z.infer`. Limits (MAX_TEXTS, …) and route paths stay in api.ts, zod-free.
 */
import { z } from 'zod';
import { MAX_HISTORY_BATCH, MAX_TEXT_CHARS, MAX_TEXTS } from './api.ts';
import { CLIENT_KEY_HEADER, MAX_CLIENT_KEY_CHARS } from './canary.ts';

export const PRECISION_VALUES = ['int8', 'fp32'] as const;

const CLIENT_KEY_RULE = `"clientKey" must be 1-${MAX_CLIENT_KEY_CHARS} printable ASCII characters without spaces (a random id the client keeps, e.g. a UUID); it picks the model version for the canary share`;

/** Code points, so one emoji is one character. */
function charCount(s: string): number {
  if (s.length <= MAX_TEXT_CHARS) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * A predict body: exactly one of `text` or `texts`; each text non-empty after trimming (trim() also strips a
 * leading byte-order mark) and at most MAX_TEXT_CHARS code points. Too many or too long texts are issues with
 * `params.status` 413 (the Worker answers payload_too_large with `params.details`); every other issue is a 400.
 */
export const PredictRequest = z
  .object(
    {
      text: z.string({ error: 'must be a string' }).optional().meta({ description: `One text, 1-${MAX_TEXT_CHARS} characters after trimming (a leading byte-order mark is trimmed too; lone surrogates are refused)`, example: 'A wonderful, heartfelt film.' }),
      texts: z.array(z.string({ error: 'must be a string' }), { error: '"texts" must be an array of strings' }).optional().meta({ description: `1-${MAX_TEXTS} texts (send text OR texts); one batched run` }),
      /** `NAME`, `NAME@VERSION` or `NAME@ALIAS`; default: the default model's champion. */
      model: z.string({ error: '"model" must be a string: NAME, NAME@VERSION or NAME@ALIAS' }).optional().meta({ description: 'NAME, NAME@VERSION or NAME@ALIAS; default: DEFAULT_MODEL@champion', example: 'sentiment@champion' }),
      precision: z
        .enum(PRECISION_VALUES, { error: (iss) => `precision must be one of ${PRECISION_VALUES.join(', ')} or left out (got ${JSON.stringify(iss.input)})` })
        .optional()
        .meta({ description: 'int8 (onnx/model_quantized.onnx, default) or fp32 (onnx/model.onnx); also ?dtype=' }),
      /**
       * Who is asking, for the canary share (registry canary.ts): a stable id per client (the PWA sends a random
       * id kept in localStorage). Also accepted as the X-Client-Key header; without either the Worker uses the
       * caller's IP address (CF-Connecting-IP), and without that the champion answers.
       */
      clientKey: z
        .string({ error: CLIENT_KEY_RULE })
        .max(MAX_CLIENT_KEY_CHARS, { error: CLIENT_KEY_RULE })
        .regex(/^[\x21-\x7e]+$/, { error: CLIENT_KEY_RULE })
        .optional()
        .meta({ description: `A stable id of the client for the canary share (also the ${CLIENT_KEY_HEADER} header; default: the caller's IP). Requests for NAME or NAME@champion whose key falls in the canary's share are answered by the canary`, example: '3f0c9a2e-6d1b-4a57-9a51-1f9f3f1c2b7e' }),
    },
    { error: 'the body must be a JSON object: {"text": "…"} or {"texts": ["…", …]}' },
  )
  .superRefine((body, ctx) => {
    if ((body.text === undefined) === (body.texts === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'send exactly one of "text" (a string) or "texts" (an array of strings)' });
      return;
    }
    if (body.texts !== undefined) {
      if (body.texts.length === 0) ctx.addIssue({ code: 'custom', path: ['texts'], message: `"texts" is empty: send 1 to ${MAX_TEXTS} texts` });
      if (body.texts.length > MAX_TEXTS) {
        const details = { path: 'texts', max: MAX_TEXTS, got: body.texts.length };
        ctx.addIssue({ code: 'custom', path: ['texts'], message: `at most ${MAX_TEXTS} texts per request (got ${body.texts.length}); split them into several requests`, params: { status: 413, details } });
        return;
      }
    }
    const list = body.texts ?? [body.text as string];
    list.forEach((t, i) => {
      const path = body.texts !== undefined ? ['texts', i] : ['text'];
      const where = path.join('.');
      const trimmed = t.trim();
      if (trimmed.length === 0) ctx.addIssue({ code: 'custom', path, message: `${where} is empty or only whitespace: send some text to classify` });
      const n = charCount(trimmed);
      if (n > MAX_TEXT_CHARS) {
        ctx.addIssue({ code: 'custom', path, message: `${where} has ${n} characters; the limit is ${MAX_TEXT_CHARS} after trimming. Send a shorter text`, params: { status: 413, details: { path: where, max: MAX_TEXT_CHARS, got: n } } });
      }
    });
  })
  .meta({ id: 'PredictRequest' });
export type PredictRequest = z.infer<typeof PredictRequest>;

export const PredictQuery = z.object({ dtype: z.enum(PRECISION_VALUES, { error: (iss) => `precision/dtype must be one of ${PRECISION_VALUES.join(', ')} (got ${JSON.stringify(iss.input)})` }).optional() });

const Probabilities = z.record(z.string(), z.number()).meta({ example: { negative: 0.08, positive: 0.92 } });

export const Prediction = z.object({
  label: z.string(),
  /** Probability of `label` (the confidence). */
  score: z.number(),
  /** label → probability, every label of the model. */
  probabilities: Probabilities,
});
export type Prediction = z.infer<typeof Prediction>;

export const ModelVersionRef = z.object({ name: z.string(), version: z.number().int() });
export type ModelVersionRef = z.infer<typeof ModelVersionRef>;

/** A prediction made by the Worker's /predict. */
export const EdgePrediction = Prediction.extend({
  id: z.string().meta({ description: 'The history row of this answer: POST /api/v1/feedback with it to correct the label.' }),
  /**
   * The text's language and whether the model was trained on it (registry/src/language.ts states the rule:
   * `detected` is null for texts under 20 characters or that the detector cannot place; `supported` is false only
   * for a confident detection of a language the model does not know).
   */
  language: z
    .object({
      detected: z.string().nullable().meta({ description: 'BCP 47 code of the language detected (franc-min), or null for texts under 20 characters or that cannot be placed', example: 'it' }),
      supported: z.boolean().meta({ description: 'false only when the text (20+ characters) is confidently in a language the model was not trained on (config.json sentiment_edge.languages), its words are mostly unknown to the model, and none of the model languages is a close second: then the answer may be wrong' }),
    })
    .meta({ description: "The text's language and whether the model knows it" }),
});
export type EdgePrediction = z.infer<typeof EdgePrediction>;

const ServedBy = ModelVersionRef.meta({ description: 'The version that served the answer (the canary, for clients in its share)' });
const ServedRef = z.string().meta({ description: 'How the version was chosen: NAME@champion, NAME@canary (a champion request in the canary share), NAME@ALIAS or NAME@VERSION', example: 'sentiment@canary' });

/** Answer to `{text}`. */
export const PredictOneResponse = EdgePrediction.extend({ model: ServedBy, ref: ServedRef, latencyMs: z.number() }).meta({ id: 'PredictOneResponse' });
export type PredictOneResponse = z.infer<typeof PredictOneResponse>;

/** Answer to `{texts}`: predictions in input order. */
export const PredictManyResponse = z.object({ predictions: z.array(EdgePrediction), model: ServedBy, ref: ServedRef, latencyMs: z.number() }).meta({ id: 'PredictManyResponse' });
export type PredictManyResponse = z.infer<typeof PredictManyResponse>;

export const PredictResponse = z.union([PredictOneResponse, PredictManyResponse]).meta({ id: 'PredictResponse' });

export const PredictionSource = z.enum(['edge', 'browser']);
export type PredictionSource = z.infer<typeof PredictionSource>;

export const HistoryRecord = z
  .object({
    /** Client-made id (UUID) for browser rows, server-made for edge rows; the idempotency key. */
    id: z.string(),
    createdAt: z.string(),
    model: ModelVersionRef,
    label: z.string(),
    score: z.number(),
    probabilities: Probabilities,
    textLength: z.number().int(),
    /** sha256 of the text (hex). */
    textSha256: z.string(),
    /** The text itself, only where the deployment stores texts (STORE_TEXT). */
    text: z.string().nullable(),
    source: PredictionSource,
    latencyMs: z.number(),
    /**
     * Word pieces the model saw (special tokens left out) and the share of them that were the unknown token:
     * what drift monitoring compares with the version's reference profile (registry drift.ts), kept even when
     * the text is not. Null on rows from clients that do not send them.
     */
    tokens: z.number().int().nullable().optional(),
    unknownShare: z.number().nullable().optional(),
  })
  .meta({ id: 'HistoryRecord' });
export type HistoryRecord = z.infer<typeof HistoryRecord>;

/** GET history's query as the client sends it (the Worker parses the text form: HistoryQueryInput in serving/history.ts). */
export const HistoryQuery = z.object({
  n: z.number().int().min(1).max(500).optional(),
  cursor: z.string().optional(),
  label: z.string().optional(),
  model: z.string().optional().meta({ description: 'NAME or NAME@VERSION' }),
  source: PredictionSource.optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryPage = z
  .object({
    items: z.array(HistoryRecord),
    /** Pass as `cursor` for the next (older) page; null at the end. */
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'HistoryPage' });
export type HistoryPage = z.infer<typeof HistoryPage>;

/** The sync body as documented; the Worker checks each row against the registry (parseSyncBody in serving/history.ts). */
export const HistorySyncRequest = z.object({ items: z.array(HistoryRecord).max(MAX_HISTORY_BATCH) });

export const HistorySyncResponse = z
  .object({
    /** Rows newly stored. */
    inserted: z.number().int(),
    /** Rows already present (same id): a retried sync. */
    duplicates: z.number().int(),
  })
  .meta({ id: 'HistorySyncResponse' });
export type HistorySyncResponse = z.infer<typeof HistorySyncResponse>;

export const VersionInfo = z.object({
  version: z.number().int(),
  labels: z.array(z.string()),
  metrics: z.object({ accuracy: z.number(), macroF1: z.number(), macroRecall: z.number(), dataset: z.string() }),
  createdAt: z.string(),
  bytes: z.number().int(),
  /** Whether this Worker isolate has the version's ONNX session loaded. */
  loaded: z.boolean(),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

export const ModelInfo = z.object({ name: z.string(), champion: VersionInfo.nullable(), challenger: VersionInfo.nullable() });
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ModelInfoResponse = z.object({ defaultModel: z.string(), models: z.array(ModelInfo) }).meta({ id: 'ModelInfoResponse' });
export type ModelInfoResponse = z.infer<typeof ModelInfoResponse>;

export const ReloadResponse = z.object({ reloaded: z.array(z.string()), aliases: z.record(z.string(), z.number().nullable()), evicted: z.array(z.string()), loaded: z.array(z.string()) });
