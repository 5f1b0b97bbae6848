// Wrangler's CompiledWasm rule (and our Miniflare test config) turns an imported .wasm into a compiled module.
declare module 'onnxruntime-web/ort-wasm-simd-threaded.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
