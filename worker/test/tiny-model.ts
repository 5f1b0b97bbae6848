/**
 * The real tiny model the Worker's tests run: built once per `vitest` run on the Node side
 * (vitest.config.ts) by the training package's own trainer + ONNX exporter, and handed to the tests
 * in workerd as the TINY_MODELS binding, together with the probabilities onnxruntime-node gives for
 * FIXTURE_TEXTS (the reference the Worker's onnxruntime-web must reproduce).
 *
 * This module has no runtime imports: both sides use it.
 */

/** Seeds of the models built: 7 (the champion in the serving tests) and 99 (a second, different model). */
export const FIXTURE_SEEDS = [7, 99] as const;
export type FixtureSeed = (typeof FIXTURE_SEEDS)[number];

/** Texts whose reference probabilities are computed Node-side (every text the tests compare). */
export const FIXTURE_TEXTS = [
  'good movie',
  'an awful, boring film!',
  'The film was not good.',
  'great fun',
  'zzz unknown words only',
  'awful boring film',
  'the film was not fun',
  'great',
  'good',
  'bad film',
] as const;

export type TinyModelFixture = {
  seed: number;
  labels: string[];
  /** path → base64 of the exported file (everything a publish uploads). */
  files: Record<string, string>;
  /** onnxruntime-node probabilities for FIXTURE_TEXTS, label order; by precision. */
  expected: { fp32: number[][]; int8: number[][] };
};

export type TinyModelFixtures = Record<string, TinyModelFixture>;

export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
