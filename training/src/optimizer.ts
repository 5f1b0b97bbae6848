/**
 * The one parameter update of training: plain SGD, or AdaGrad when the parameter group has an accumulator of
 * squared gradients (per-coordinate learning rate lr / (√Σg² + ε)). Every group (output layer, hidden layer,
 * embedding rows, attention importances) goes through `step`; groups without an accumulator under AdaGrad
 * (contrast, intensity) are plain SGD as before.
 */
const EPS = 1e-8;

/** A parameter group's AdaGrad accumulator, or null (SGD). */
export type Accumulator = Float32Array | null;

export function accumulatorFor(weights: Float32Array, adagrad: boolean): Accumulator {
  return adagrad ? new Float32Array(weights.length) : null;
}

/** weights[i] −= lr·g (SGD), or with `acc`: acc[i] += g², weights[i] −= lr·g / (√acc[i] + ε). */
export function step(weights: Float32Array, acc: Accumulator, i: number, g: number, lr: number): void {
  if (acc) {
    acc[i]! += g * g;
    weights[i]! -= (lr * g) / (Math.sqrt(acc[i]!) + EPS);
  } else weights[i]! -= lr * g;
}
