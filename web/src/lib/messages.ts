/**
 * The typed message protocol between the UI thread and the inference Web Worker.
 * Every request carries an id; the worker answers with progress messages and exactly one
 * `loaded`/`result`/`explained`/`error` for that id. `cancel` stops a running batch between chunks, and an
 * explanation that has not started yet or is between its chunks.
 */
import type { Manifest, Occlusion, Prediction } from '@sentiment-edge/registry';

export type Backend = 'webgpu' | 'wasm';

/** Why loading or running the in-browser model failed; the UI words its advice from this. */
export type FailureCode =
  | 'no_wasm' // WebAssembly unavailable
  | 'offline_no_model' // offline and the model is not cached yet
  | 'integrity' // a file did not match the manifest's sha256
  | 'download' // the registry could not be reached or answered an error
  | 'load' // ONNX Runtime / tokenizer could not build the model
  | 'oom' // out of memory
  | 'run' // a prediction failed
  | 'cancelled'
  | 'not_loaded';

export interface LoadRequest {
  type: 'load';
  id: number;
  /** Origin of the Worker API, e.g. https://example.com. */
  baseUrl: string;
  manifest: Manifest;
  /** Try WebGPU when an adapter exists (default true). */
  preferWebGPU: boolean;
  /** Test hook: make loading fail as if the runtime had crashed. */
  simulateFailure?: boolean;
}

export interface PredictRequest {
  type: 'predict';
  id: number;
  texts: string[];
  /** Texts per session run; progress is reported after each chunk. */
  chunkSize?: number;
  /**
   * The single live text: also say whether the text was cut (`tokens`) and its language (`language`), the notes
   * shown with the answer. "Why this label" is not part of the answer: it follows from an `explain` request.
   */
  live?: boolean;
}

/**
 * Why this label for one text (the answer's explanation, asked for once the answer is shown): each whole word,
 * or each sentence of a long text, left out in turn (registry occlude), in chunks with a `cancel` check between.
 */
export interface ExplainRequest {
  type: 'explain';
  id: number;
  text: string;
}

/** A prediction with what the browser engine can tell about it (the live text: `tokens`, `language`; then `why`). */
export interface ExplainedPrediction extends Prediction {
  /**
   * Why this label: each whole word's (or, in a long text, each sentence's) effect on the answer, by occlusion
   * (registry occlude). Not in the worker's answer: the engine's `explain` adds it after the answer is shown.
   */
  why?: Pick<Occlusion, 'by' | 'units'>;
  /**
   * Word pieces the model saw and the share that were [UNK] (registry tokenStats), for every prediction made in
   * the browser: the wording rule's "unreliable" (honest.ts answerWording) and, with the synced history row, drift monitoring.
   */
  tokenStats?: { tokens: number; unknownShare: number };
  /** Set when the text is longer than the model reads: tokens fed to the graph, and tokens the whole text has. */
  tokens?: { read: number; total: number };
  /**
   * The text's language against the model's (registry/src/language.ts; set when the model records its languages):
   * `note` is the sentence to show ("This looks like Italian; this model knows English and French, …") or null
   * (absent on the server's answers, which carry `{detected, supported}` only).
   */
  language?: { detected: string | null; supported: boolean; note?: string | null };
}

export interface CancelRequest {
  type: 'cancel';
  id: number;
}

export type MainToWorker = LoadRequest | PredictRequest | ExplainRequest | CancelRequest;

export interface ProgressMessage {
  type: 'progress';
  id: number;
  phase: 'download' | 'verify' | 'init' | 'predict';
  done: number;
  total: number;
  /** File being downloaded, for the download phase. */
  detail?: string;
}

export interface LoadedMessage {
  type: 'loaded';
  id: number;
  backend: Backend;
  labels: string[];
  /** All files came from the on-device cache (no download). */
  fromCache: boolean;
  loadMs: number;
  /** Why WebGPU was not used, when it was wanted. */
  backendNote?: string;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  predictions: ExplainedPrediction[];
  /** Wall time inside the worker for the whole request. */
  latencyMs: number;
}

export interface ExplainedMessage {
  type: 'explained';
  id: number;
  /** The label the occlusion explains (the answer the text got in the explaining run). */
  label: string;
  why: Pick<Occlusion, 'by' | 'units'>;
  /** Wall time inside the worker for the explanation. */
  latencyMs: number;
}

export interface ErrorMessage {
  type: 'error';
  id: number;
  code: FailureCode;
  message: string;
}

export type WorkerToMain = ProgressMessage | LoadedMessage | ResultMessage | ExplainedMessage | ErrorMessage;

/** What each request type resolves to. */
export interface Replies {
  load: LoadedMessage;
  predict: ResultMessage;
  explain: ExplainedMessage;
}

export class InferenceError extends Error {
  override name = 'InferenceError';
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** Compile-time exhaustiveness check for switch statements over the unions above. */
export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}
