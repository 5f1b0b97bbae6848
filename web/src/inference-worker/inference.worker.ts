/**
 * The inference Web Worker: downloads and verifies the model (model-cache.ts), builds an ONNX Runtime
 * session (WebGPU when an adapter exists, WASM otherwise) plus the model's tokenizer, and answers
 * predictions through registry's createClassifier (the same tokenize → pad → run → softmax code the
 * Worker and training use). Long batches are chunked, report progress, and stop on `cancel`. The live text's
 * answer is one classification; its "why this label" (occlusion) is a separate `explain` request, run in
 * chunks that a `cancel` (a newer text) stops, so that a newer answer never waits for a whole explanation.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { createClassifier, MODEL_LAYOUT, occlude, readModelConfig, RegistryClient, toPrediction, type Classifier, type ProbabilityModel } from '@sentiment-edge/registry';
// ONNX Runtime's own WASM binaries, emitted into the build by Vite (hashed, same origin, no CDN).
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import jspiWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url';
import { assertNever, InferenceError, type Backend, type FailureCode, type LoadRequest, type MainToWorker, type ExplainedPrediction, type ExplainRequest, type PredictRequest, type WorkerToMain } from '../lib/messages.ts';
import { filesFor, IntegrityError, loadModelFiles, MODEL_CACHE } from '../lib/model-cache.ts';

/** Wall-clock ms when this worker's module started evaluating (for the load-timing log). */
const WORKER_START = performance.timeOrigin + performance.now();

const post = (msg: WorkerToMain) => (self as unknown as { postMessage(m: WorkerToMain): void }).postMessage(msg);

let classifier: Classifier | null = null;
let tokenizer: Tokenizer | null = null;
/** Longest token sequence the loaded model reads (tokenizer_config model_max_length); the rest of a text is cut. */
let maxTokens = Infinity;
let loadedKey = '';
const cancelled = new Set<number>();

self.onmessage = (ev: MessageEvent<MainToWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'load':
      void handle(msg.id, () => load(msg));
      return;
    case 'predict':
      void handle(msg.id, () => predict(msg));
      return;
    case 'explain':
      void handle(msg.id, () => explain(msg));
      return;
    case 'cancel':
      cancelled.add(msg.id);
      return;
    default:
      assertNever(msg);
  }
};

async function handle(id: number, fn: () => Promise<WorkerToMain>): Promise<void> {
  try {
    post(await fn());
  } catch (e) {
    const { code, message } = describe(e);
    post({ type: 'error', id, code, message });
  } finally {
    cancelled.delete(id);
  }
}

function describe(e: unknown): { code: FailureCode; message: string } {
  if (e instanceof InferenceError) return { code: e.code, message: e.message };
  if (e instanceof IntegrityError) return { code: 'integrity', message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError || /out of memory|memory access out of bounds|Aborted\(OOM\)|allocation failed/i.test(message)) {
    return { code: 'oom', message: `the model does not fit in this device's memory: ${message}` };
  }
  return { code: 'load', message };
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown | null> };
}

/** WebGPU needs an adapter and ONNX Runtime's JSPI build (the JSEP/asyncify builds exceed the 25 MiB asset limit). */
async function chooseBackend(prefer: boolean): Promise<{ backend: Backend; note?: string }> {
  if (!prefer) return { backend: 'wasm' };
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  if (!gpu) return { backend: 'wasm', note: 'this browser has no WebGPU' };
  let adapter: unknown = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return { backend: 'wasm', note: 'no WebGPU adapter on this device' };
  if (!('Suspending' in WebAssembly)) return { backend: 'wasm', note: 'WebGPU needs WebAssembly JSPI, which this browser lacks' };
  return { backend: 'webgpu' };
}

type Ort = typeof import('onnxruntime-web/wasm');

async function importOrt(backend: Backend): Promise<Ort> {
  const ort: Ort = backend === 'webgpu' ? await import('onnxruntime-web/jspi') : await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = { wasm: new URL(backend === 'webgpu' ? jspiWasmUrl : wasmUrl, self.location.href).href };
  ort.env.wasm.numThreads = 1; // no cross-origin isolation on a static-asset Worker: threads are unavailable
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
}

/**
 * Starts ONNX Runtime's one-time backend set-up (fetch + compile of its .wasm, OrtInit) without waiting for
 * the model: ORT runs it on the first InferenceSession.create and keeps it for later ones, so an empty model
 * is offered, which it refuses after the set-up. On a reload this overlaps the set-up (the larger part of
 * "session creation") with reading and verifying the cached model files and building the tokenizer.
 */
async function startRuntime(ort: Ort, backend: 'wasm'): Promise<void> {
  try {
    await ort.InferenceSession.create(new Uint8Array(0), { executionProviders: [backend] });
  } catch {
    // expected: the empty model is refused once the runtime is up; a real failure repeats at the real create
  }
}

/** A fetch that reports bytes received, so RegistryClient.downloadFile can drive a progress bar. */
function progressFetch(onBytes: (n: number) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.ok || !res.body) return res;
    let received = 0;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          received += chunk.byteLength;
          onBytes(received);
          ctl.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * Download/verify progress for the UI, at most one message per PROGRESS_EVERY_MS (network chunks arrive
 * many times a second, and each message re-renders the page's header on the main thread); a change of
 * phase and the end are always sent.
 */
const PROGRESS_EVERY_MS = 100;
function progressPoster(id: number): (p: { phase: 'download' | 'verify'; done: number; total: number; detail: string }) => void {
  let last = -Infinity;
  let lastPhase = '';
  return (p) => {
    const now = performance.now();
    if (p.phase === lastPhase && p.done < p.total && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    lastPhase = p.phase;
    post({ type: 'progress', id, ...p });
  };
}

async function load(msg: LoadRequest): Promise<WorkerToMain> {
  const t0 = performance.now();
  const marks: Record<string, number> = { workerStartAt: Math.round(WORKER_START), loadAt: Math.round(performance.timeOrigin + t0) };
  const mark = (name: string) => (marks[name] = Math.round(performance.now() - t0));
  const { manifest } = msg;
  if (msg.simulateFailure) throw new InferenceError('load', 'the in-browser model was made to fail (?fail=model)');
  if (typeof WebAssembly !== 'object') throw new InferenceError('no_wasm', 'this browser has no WebAssembly');
  const key = `${manifest.name}@${manifest.version}`;
  classifier = null;
  tokenizer = null;
  loadedKey = '';

  const choice = await chooseBackend(msg.preferWebGPU);
  let backend = choice.backend;
  let note = choice.note;
  mark('backend');
  // The ORT JS chunk loads, and its WASM runtime compiles and starts, while the model files are read and
  // verified and the tokenizer is built (startRuntime); the session is created once the bytes are here.
  const ortReady = importOrt(backend).then((o) => (mark('ortImported'), o));
  ortReady.catch(() => undefined);
  // WASM only: ORT's WebGPU backend, offered the empty model, no longer builds the real graph on WebGPU.
  if (backend === 'wasm') void ortReady.then((o) => startRuntime(o, 'wasm')).then(() => mark('runtime'), () => undefined);
  const cache = await caches.open(MODEL_CACHE);
  let files: Map<string, Uint8Array>;
  let fromCache: boolean;
  try {
    ({ files, fromCache } = await loadModelFiles({
      baseUrl: msg.baseUrl,
      manifest,
      files: filesFor(manifest, backend),
      cache,
      download: (path, onBytes) => new RegistryClient({ baseUrl: msg.baseUrl, fetch: progressFetch(onBytes) }).downloadFile(manifest.name, manifest.version, path),
      onProgress: progressPoster(msg.id),
    }));
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    const m = e instanceof Error ? e.message : String(e);
    if (!navigator.onLine || /network_error|Failed to fetch|NetworkError|cannot reach/i.test(m)) {
      throw new InferenceError('offline_no_model', `${key} is not stored on this device yet and the registry cannot be reached (${m})`);
    }
    throw new InferenceError('download', `could not download ${key}: ${m}`);
  }
  mark('files');

  post({ type: 'progress', id: msg.id, phase: 'init', done: 0, total: 1 });
  const json = (p: string) => JSON.parse(new TextDecoder().decode(files.get(p)!)) as unknown;
  const tokenizerJson = json(MODEL_LAYOUT.tokenizer);
  const tokenizerConfig = json(MODEL_LAYOUT.tokenizerConfig);
  const config = readModelConfig(json(MODEL_LAYOUT.config), tokenizerConfig, tokenizerJson);
  const tok = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
  const onnxPath = filesFor(manifest, backend).find((f) => f.path.endsWith('.onnx'))!.path;
  mark('tokenizer');

  let ort = await ortReady;
  let session: import('onnxruntime-web').InferenceSession;
  try {
    session = await ort.InferenceSession.create(files.get(onnxPath)!, { executionProviders: [backend] });
  } catch (e) {
    if (backend !== 'webgpu') throw e;
    // WebGPU failed to build this graph: fall back to WASM with the WASM file choice.
    note = `WebGPU could not run this model (${e instanceof Error ? e.message : String(e)}); using WASM`;
    backend = 'wasm';
    const wasmOnnx = filesFor(manifest, 'wasm').find((f) => f.path.endsWith('.onnx'))!.path;
    const bytes = files.get(wasmOnnx) ?? files.get(onnxPath)!;
    ort = await importOrt('wasm');
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  }
  mark('session');
  const c = createClassifier(ort.Tensor, session, tok, config);
  await c.classify(['warm up']); // compile kernels now, not on the user's first keystroke
  mark('warmup');
  classifier = c;
  tokenizer = tok;
  maxTokens = config.maxLength;
  loadedKey = key;
  console.debug(`[load-timing] ${JSON.stringify(marks)}`);
  const loaded: WorkerToMain = { type: 'loaded', id: msg.id, backend, labels: [...config.labels], fromCache, loadMs: performance.now() - t0 };
  if (note) loaded.backendNote = note;
  return loaded;
}

async function predict(msg: PredictRequest): Promise<WorkerToMain> {
  if (!classifier) throw new InferenceError('not_loaded', 'no model is loaded in the browser');
  const c = classifier;
  const t0 = performance.now();
  if (msg.live) {
    try {
      return { type: 'result', id: msg.id, predictions: await answered(c, msg.texts), latencyMs: performance.now() - t0 };
    } catch (e) {
      throw runError(e);
    }
  }
  const chunk = Math.max(1, msg.chunkSize ?? 64);
  const out: ExplainedPrediction[] = [];
  for (let i = 0; i < msg.texts.length; i += chunk) {
    if (cancelled.has(msg.id)) throw new InferenceError('cancelled', 'cancelled');
    try {
      // With each text's token statistics: the [UNK] share decides "unreliable" in the batch table and its download.
      const texts = msg.texts.slice(i, i + chunk);
      const r = await c.analyze(texts);
      out.push(...r.probabilities.map((p, j) => ({ ...toPrediction(p, c.labels), tokenStats: r.stats[j]! })));
    } catch (e) {
      throw runError(e);
    }
    if (msg.texts.length > chunk) {
      post({ type: 'progress', id: msg.id, phase: 'predict', done: Math.min(i + chunk, msg.texts.length), total: msg.texts.length });
      // Yield so a `cancel` message can be handled between chunks.
      await yieldToMessages();
    }
  }
  return { type: 'result', id: msg.id, predictions: out, latencyMs: performance.now() - t0 };
}

function runError(e: unknown): InferenceError {
  if (e instanceof InferenceError && e.code === 'cancelled') return e;
  const d = describe(e);
  return new InferenceError(d.code === 'oom' ? 'oom' : 'run', `prediction failed with ${loadedKey}: ${d.message}`);
}

/**
 * The live answer: one classification with the token statistics, for a text longer than the model reads how
 * much was read, and the language note. "Why this label" is not here: it is the `explain` request's.
 */
async function answered(c: Classifier, texts: string[]): Promise<ExplainedPrediction[]> {
  const r = await c.analyze(texts);
  const out = r.probabilities.map((p, i): ExplainedPrediction => {
    const stats = r.stats[i]!;
    const prediction: ExplainedPrediction = { ...toPrediction(p, c.labels), tokenStats: stats };
    // A text longer than the model reads is cut: say so instead of ignoring its end silently. Only a text that
    // filled the model's length (its pieces + [CLS]/[SEP] and the like) is encoded again, whole, to count.
    if (stats.tokens + 4 >= maxTokens) {
      const total = tokenizer?.encode(texts[i]!).ids.length ?? 0;
      if (total > maxTokens) prediction.tokens = { read: maxTokens, total };
    }
    return prediction;
  });
  const languages = c.languages;
  if (languages?.length) {
    // The detector (≈ 34 kB gzip of n-gram profiles) is its own chunk, loaded with the first live answer.
    const { checkLanguage, languageNote } = await import('@sentiment-edge/registry/language');
    out.forEach((p, i) => {
      const check = checkLanguage(texts[i]!, languages, p.tokenStats?.unknownShare);
      p.language = { ...check, note: languageNote(check, languages) };
    });
  }
  return out;
}

/** Texts per session run while explaining: a `cancel` (a newer text) is seen between two runs. */
const EXPLAIN_CHUNK = 8;

/**
 * "Why this label" by occlusion (registry occlude: each whole word, or each sentence of a long text, left out in
 * turn). The texts occlude asks for are classified EXPLAIN_CHUNK at a time, with a yield between runs so that a
 * `cancel` or a newer text's `predict` is handled: the newer answer waits for one run at most, not for all of them.
 */
async function explain(msg: ExplainRequest): Promise<WorkerToMain> {
  if (!classifier) throw new InferenceError('not_loaded', 'no model is loaded in the browser');
  const c = classifier;
  const t0 = performance.now();
  const model: ProbabilityModel = {
    labels: c.labels,
    async probabilities(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += EXPLAIN_CHUNK) {
        await yieldToMessages();
        if (cancelled.has(msg.id)) throw new InferenceError('cancelled', 'cancelled');
        out.push(...(await c.probabilities(texts.slice(i, i + EXPLAIN_CHUNK))));
      }
      return out;
    },
  };
  try {
    const { prediction, by, units } = await occlude(model, msg.text);
    return { type: 'explained', id: msg.id, label: prediction.label, why: { by, units }, latencyMs: performance.now() - t0 };
  } catch (e) {
    throw runError(e);
  }
}

/** Lets queued messages (a `cancel`) run; a MessageChannel hop avoids the 4 ms clamp of nested timers. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}
