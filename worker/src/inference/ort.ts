/**
 * ONNX Runtime (onnxruntime-web, WASM, one thread) made to run inside workerd.
 *
 * workerd forbids compiling WebAssembly from bytes at run time and has no `import.meta.url`, and
 * ORT has no option that accepts an already compiled `WebAssembly.Module`. Wrangler (and our
 * Miniflare test config) turns the imported `.wasm` into a `WebAssembly.Module` at upload time, so:
 *   1. `ort.env.wasm.wasmBinary` is set to a 1-byte placeholder (ORT then skips fetching the file),
 *   2. `WebAssembly.instantiate` is wrapped: when it is handed that placeholder (ORT copies it, so we
 *      recognise it by size), it instantiates the imported Module instead and returns
 *      `{ instance, module }` as the bytes overload would,
 *   3. `numThreads = 1` and `proxy = false` (no Web Workers, no SharedArrayBuffer in workerd).
 * Keep ORT pinned to an exact version (package.json: 1.30.0): the shim depends on how its
 * Emscripten glue calls `WebAssembly.instantiate`. `ort.test.ts` runs a model inside workerd.
 */
import * as ort from 'onnxruntime-web/wasm';
// The plain SIMD build ORT's `wasm` entry expects; a `WebAssembly.Module` under wrangler's CompiledWasm rule.
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';

const PLACEHOLDER_BYTES = 1;
let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
  const patched = async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (ArrayBuffer.isView(source) && source.byteLength === PLACEHOLDER_BYTES) {
      const instance = await WebAssembly.instantiate(ortWasm, imports);
      return { instance, module: ortWasm };
    }
    return original(source, imports);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  ort.env.wasm.wasmBinary = new Uint8Array(PLACEHOLDER_BYTES);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

export type Session = ort.InferenceSession;
export const Tensor = ort.Tensor;
export type Tensor = ort.Tensor;

/** Creates an ORT session from ONNX bytes inside the Worker (WASM execution provider, one thread). */
export async function createSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  configure();
  return ort.InferenceSession.create(onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** The ORT version actually bundled, for /metrics and model-info. */
export const ORT_VERSION: string = ort.env.versions.web ?? 'unknown';
