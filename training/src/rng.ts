/** Small seeded PRNG (mulberry32) so training is deterministic for a given seed. */
import { mulberry32 } from '@sentiment-edge/registry';

export type Rng = () => number;

export function createRng(seed: number): Rng {
  return mulberry32(seed);
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}
