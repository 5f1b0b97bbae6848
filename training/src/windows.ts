/**
 * The hand-written windows of attention models: which features lie before a contrast word ("but", …) and
 * which after an intensifier or a reducer. The exported graph computes the same flags (export/graph.ts).
 */
import type { ModelShape } from './model.ts';

export function hasContrast(shape: ModelShape): boolean {
  return shape.attention && (shape.contrastWindow ?? 0) > 0 && (shape.contrastMarkers?.length ?? 0) > 0;
}

const markerSets = new WeakMap<ModelShape, Set<number>>();

/**
 * Which features (featurize's order: unigrams, then bigrams) lie before a contrast word: 1 when a marker sits
 * 1..contrastWindow tokens after the token (for a bigram: after its second token) and the token is not one.
 */
export function contrastFlags(ids: ArrayLike<number>, shape: ModelShape, out: Uint8Array): void {
  const n = ids.length;
  let markers = markerSets.get(shape);
  if (!markers) markerSets.set(shape, (markers = new Set(shape.contrastMarkers ?? [])));
  const w = shape.contrastWindow ?? 0;
  let next = Infinity; // position of the nearest marker after i
  for (let i = n - 1; i >= 0; i--) {
    const isMarker = markers.has(ids[i]!);
    out[i] = !isMarker && next - i <= w ? 1 : 0;
    if (isMarker) next = i;
  }
  for (let i = 0; i + 1 < n; i++) out[n + i] = out[i + 1]!;
}

export function hasIntensity(shape: ModelShape): boolean {
  return shape.attention && (shape.intensityWindow ?? 0) > 0 && (shape.intensifiers?.length ?? 0) + (shape.reducers?.length ?? 0) > 0;
}

const intensitySets = new WeakMap<ModelShape, { up: Set<number>; down: Set<number> }>();

/**
 * Which features lie after an intensifier (bit 1) or a reducer (bit 2): the marker sits 1..intensityWindow
 * tokens before the token (for a bigram: before its second token) and the token is neither kind of marker.
 */
export function intensityFlags(ids: ArrayLike<number>, shape: ModelShape, out: Uint8Array): void {
  const n = ids.length;
  let sets = intensitySets.get(shape);
  if (!sets) intensitySets.set(shape, (sets = { up: new Set(shape.intensifiers ?? []), down: new Set(shape.reducers ?? []) }));
  const w = shape.intensityWindow ?? 0;
  let lastUp = -Infinity;
  let lastDown = -Infinity;
  for (let i = 0; i < n; i++) {
    const up = sets.up.has(ids[i]!);
    const down = sets.down.has(ids[i]!);
    out[i] = up || down ? 0 : (i - lastUp <= w ? 1 : 0) | (i - lastDown <= w ? 2 : 0);
    if (up) lastUp = i;
    if (down) lastDown = i;
  }
  for (let i = 0; i + 1 < n; i++) out[n + i] = out[i + 1]!;
}
