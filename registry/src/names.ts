/** Names and rules shared by the zod schemas and by code that must not pull zod in (the browser bundle). */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MODEL_NAME_RULE = 'model names are 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const ALIAS_NAME_RULE = 'alias names are 1-32 characters of a-z, 0-9, "_" or "-", starting with a letter';

/** The files a runtime needs, by role, in Hugging Face layout. */
export const MODEL_LAYOUT = {
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  onnx: 'onnx/model.onnx',
  onnxQuantized: 'onnx/model_quantized.onnx',
  card: 'README.md',
} as const;
