/**
 * The engine: the inference worker's lifecycle (a fresh worker per load, through InferenceBridge), the
 * reactive EngineState the header and the panels show, and predictions — in the browser when the model
 * is loaded, else on the server (fallback) when it can be reached. Also what a version costs this device
 * (its files for the backend in use, whether they are cached) and a fresh download after an integrity
 * failure.
 */
import { MAX_TEXTS, type Manifest, type RegistryClient } from '@sentiment-edge/registry';
import { InferenceBridge, type WorkerLike } from './bridge.ts';
import type { SettledPrediction } from './history-sync.svelte.ts';
import { InferenceError, type Backend, type ExplainedPrediction, type FailureCode, type ProgressMessage } from './messages.ts';

/** "Why this label" as the inference worker works it out (registry occlude). */
export type Why = NonNullable<ExplainedPrediction['why']>;
import { fileUrl, filesFor, isCached, MODEL_CACHE } from './model-cache.ts';
import { plainDetail } from './wording.ts';

export type EngineStatus = 'starting' | 'loading' | 'ready' | 'server' | 'unavailable';

export interface EngineState {
  status: EngineStatus;
  /** Where predictions run now. */
  backend: Backend | 'server' | null;
  labels: string[];
  progress: ProgressMessage | null;
  /** Why the in-browser model is not in use (failure), or a note about the backend. */
  message: string | null;
  failure: FailureCode | null;
  fromCache: boolean;
  loadMs: number | null;
}

export type PredictionResult = SettledPrediction;

export interface EngineDeps {
  baseUrl: string;
  /** The page's query: `backend=wasm` skips WebGPU, `fail=model` simulates a failed load (tests). */
  params: URLSearchParams;
  client: Pick<RegistryClient, 'predict' | 'predictMany'>;
  /** Whether the server can be reached (the app's `online`). */
  isOnline: () => boolean;
  /** The chosen version (ModelCatalog.manifest). */
  manifest: () => Manifest | null;
  /** Resolves once the first model choice is made: predictions wait for it instead of failing. */
  choosing: () => Promise<void>;
  /** A new inference worker (tests pass a fake). */
  newWorker?: () => WorkerLike;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const inferenceWorker = (): WorkerLike => new Worker(new URL('../inference-worker/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' });

export class EngineModel {
  state = $state.raw<EngineState>({ status: 'starting', backend: null, labels: [], progress: null, message: null, failure: null, fromCache: false, loadMs: null });

  #deps: EngineDeps;
  #bridge: InferenceBridge | null = null;
  #ready: Promise<void> = Promise.resolve();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  #newBridge(): InferenceBridge {
    this.#bridge?.terminate();
    this.#bridge = new InferenceBridge((this.#deps.newWorker ?? inferenceWorker)());
    return this.#bridge;
  }

  /** Loads a version into the browser; on failure falls back to the server (online) or explains (offline). */
  load(m: Manifest): Promise<void> {
    const run = async () => {
      this.state = { ...this.state, status: 'loading', progress: null, message: null, failure: null };
      // A fresh worker per load: a failed runtime never poisons the next attempt.
      const bridge = this.#newBridge();
      const params = this.#deps.params;
      try {
        const loaded = await bridge.call<'load'>(
          {
            type: 'load',
            baseUrl: this.#deps.baseUrl,
            manifest: m,
            preferWebGPU: params.get('backend') !== 'wasm',
            simulateFailure: params.get('fail') === 'model',
          },
          { onProgress: (p) => (this.state = { ...this.state, progress: p }) },
        );
        this.state = {
          status: 'ready',
          backend: loaded.backend,
          labels: loaded.labels,
          progress: null,
          message: loaded.backendNote ?? null,
          failure: null,
          fromCache: loaded.fromCache,
          loadMs: loaded.loadMs,
        };
      } catch (e) {
        const code = e instanceof InferenceError ? e.code : 'load';
        this.#bridge?.terminate();
        this.#bridge = null;
        this.#fail(code, errorText(e), m);
      }
    };
    this.#ready = run();
    return this.#ready;
  }

  /** No model can be chosen at all (none stored, the server has none or cannot be reached). */
  unavailable(e: unknown): void {
    this.state = {
      ...this.state,
      status: 'unavailable',
      backend: null,
      failure: 'offline_no_model',
      message: this.#deps.isOnline()
        ? `No model is available from the server yet (${plainDetail(errorText(e))}). Try again later.`
        : 'You are offline and no model is stored on this device yet. Connect to the internet once and reload: the model is downloaded, checked and kept on this device, and then works offline.',
    };
  }

  #fail(code: FailureCode, detail: string, m: Manifest): void {
    const why: Record<FailureCode, string> = {
      no_wasm: 'This browser cannot run WebAssembly, so the model cannot run on this device.',
      offline_no_model: `You are offline and ${m.name} v${m.version} is not stored on this device yet. Connect to the internet and reload once; after that it works offline.`,
      integrity: `The model was refused: ${detail}`,
      download: `The model could not be downloaded (${plainDetail(detail)}).`,
      load: `The model could not be loaded in this browser: ${plainDetail(detail)}`,
      oom: 'This device ran out of memory loading the model.',
      run: `The model failed while predicting: ${plainDetail(detail)}`,
      cancelled: 'Loading was cancelled.',
      not_loaded: 'No model is loaded.',
    };
    const serverOk = this.#deps.isOnline() && code !== 'offline_no_model';
    this.state = {
      ...this.state,
      status: serverOk ? 'server' : 'unavailable',
      backend: serverOk ? 'server' : null,
      labels: m.labels,
      progress: null,
      failure: code,
      message: why[code] + (serverOk ? ' Predictions are made by the server instead (your text is sent to it).' : ''),
    };
  }

  /** Drops the cached files of `m` and loads it again (after an integrity failure). */
  async redownload(m: Manifest): Promise<void> {
    const cache = await caches.open(MODEL_CACHE);
    for (const f of m.files) await cache.delete(fileUrl(this.#deps.baseUrl, m.name, m.version, f.path));
    await this.load(m);
  }

  /**
   * Classifies one text in the browser, or on the server in fallback mode: the answer (label, probabilities,
   * token statistics, how much was read, language) as soon as the one classification is done. "Why this label"
   * is not in it: ask `explain` for it once the answer is shown.
   */
  async predict(text: string, signal?: AbortSignal): Promise<PredictionResult> {
    // During the first load the text waits for the model instead of failing.
    await this.#deps.choosing();
    await this.#ready;
    const m = this.#deps.manifest();
    if (!m) throw new Error(this.state.message ?? 'No model is available yet.');
    if (this.state.status === 'ready' && this.#bridge) {
      try {
        const t0 = performance.now();
        const r = await this.#bridge.call<'predict'>({ type: 'predict', texts: [text], live: true }, signal ? { signal } : {});
        return { ...r.predictions[0]!, model: { name: m.name, version: m.version }, latencyMs: performance.now() - t0, via: this.state.backend as Backend };
      } catch (e) {
        if (e instanceof InferenceError && e.code === 'cancelled') throw e;
        this.#fail(e instanceof InferenceError ? e.code : 'run', errorText(e), m);
      }
    }
    if (this.state.status === 'server' || (this.#deps.isOnline() && this.state.status !== 'loading')) {
      const r = await this.#deps.client.predict(text, `${m.name}@${m.version}`);
      return { label: r.label, score: r.score, probabilities: r.probabilities, model: r.model, latencyMs: r.latencyMs, via: 'server', serverId: r.id };
    }
    throw new Error(this.state.message ?? 'The model is not available.');
  }

  /**
   * "Why this label" for a text `predict` answered in the browser as `label`: occlusion in the inference worker
   * (each whole word, or each sentence of a long text, left out in turn), asked for after the answer is shown;
   * aborting `signal` (a newer text) stops it between its runs. Null when the browser model does not answer
   * (the server's /predict has no occlusion, so a fallback answer has no "why", as before), or when the
   * explaining run found another label (a near tie): an explanation of a label not shown would mislead.
   */
  async explain(text: string, label: string, signal?: AbortSignal): Promise<Why | null> {
    if (this.state.status !== 'ready' || !this.#bridge) return null;
    const r = await this.#bridge.call<'explain'>({ type: 'explain', text }, signal ? { signal } : {});
    return r.label === label ? r.why : null;
  }

  /** Classifies many texts (browser worker in chunks, or the server in batches of MAX_TEXTS). */
  async predictMany(texts: string[], onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<ExplainedPrediction[]> {
    await this.#deps.choosing();
    await this.#ready;
    if (this.state.status === 'ready' && this.#bridge) {
      const r = await this.#bridge.call<'predict'>(
        { type: 'predict', texts, chunkSize: 128 },
        { ...(signal ? { signal } : {}), onProgress: (p) => onProgress(p.done, p.total) },
      );
      onProgress(texts.length, texts.length);
      return r.predictions;
    }
    const m = this.#deps.manifest();
    if (this.state.status !== 'server' || !m) throw new Error(this.state.message ?? 'The model is not available.');
    const out: ExplainedPrediction[] = [];
    for (let i = 0; i < texts.length; i += MAX_TEXTS) {
      if (signal?.aborted) throw new InferenceError('cancelled', 'cancelled');
      const r = await this.#deps.client.predictMany(texts.slice(i, i + MAX_TEXTS), `${m.name}@${m.version}`);
      out.push(...r.predictions);
      onProgress(out.length, texts.length);
    }
    return out;
  }

  /**
   * The bytes this device keeps (or would keep) for a version: the files the browser loads for the backend
   * in use (the int8 graph on WASM when the version ships one), not the whole published version.
   */
  deviceBytes(m: Manifest): number {
    const backend = this.state.backend === 'webgpu' ? 'webgpu' : 'wasm';
    try {
      return filesFor(m, backend).reduce((s, f) => s + f.bytes, 0);
    } catch {
      return m.bytes;
    }
  }

  async isOnDevice(m: Manifest): Promise<boolean> {
    try {
      return await isCached(await caches.open(MODEL_CACHE), this.#deps.baseUrl, m, this.state.backend === 'webgpu' ? 'webgpu' : 'wasm');
    } catch {
      return false;
    }
  }
}
