/** Names and rules shared by the zod schemas and by code that must not pull zod in (the browser bundle). */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MODEL_NAME_RULE = 'model names are 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const ALIAS_NAME_RULE = 'alias names are 1-32 characters of a-z, 0-9, "_" or "-", starting with a letter';

/**
 * The highest version number (2^31 - 1): far beyond any real model's history, exact in every
 * language's integers and JSON, and well below 2^53, where JavaScript numbers stop being exact.
 */
export const MAX_VERSION = 2_147_483_647;

/** A version number as text (URL path, `NAME@VERSION`): decimal digits, no sign, no leading zero, ≤ MAX_VERSION. */
export const VERSION_TEXT_PATTERN = /^[1-9][0-9]{0,9}$/;

export function parseVersionText(s: string): number | null {
  if (!VERSION_TEXT_PATTERN.test(s)) return null;
  const n = Number(s);
  return n <= MAX_VERSION ? n : null;
}

/** The files a runtime needs, by role, in Hugging Face layout. */
export const MODEL_LAYOUT = {
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  onnx: 'onnx/model.onnx',
  onnxQuantized: 'onnx/model_quantized.onnx',
  card: 'README.md',
} as const;
