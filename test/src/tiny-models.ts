/**
 * The tiny models several test files use, trained once per `vitest run` by src/global-setup.ts into one
 * directory that the files read and never write (each trains in ~3 s of CPU, which the files running
 * side by side would otherwise pay again and again).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { buildTinyModel } from '@sentiment-edge/training/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory holding the shared tiny models (`seed-N/`, buildTinyModel's defaults). */
    tinyModelsDir: string;
  }
}

/** The seeds of buildTinyModel (default options) that more than one file uses. */
export const SHARED_SEEDS = [7, 11] as const;
export type SharedSeed = (typeof SHARED_SEEDS)[number];

export function isSharedSeed(seed: number): seed is SharedSeed {
  return (SHARED_SEEDS as readonly number[]).includes(seed);
}

/** Trains every shared model under `root` (global setup). */
export function buildSharedTinyModels(root: string): void {
  for (const seed of SHARED_SEEDS) buildTinyModel(join(root, `seed-${seed}`), { seed });
}

/** The shared model directory of `seed`: read it, never write to it. */
export function sharedTinyModel(seed: SharedSeed): string {
  const dir = join(inject('tinyModelsDir'), `seed-${seed}`);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`no shared tiny model at ${dir}: test/src/global-setup.ts builds it`);
  return dir;
}
