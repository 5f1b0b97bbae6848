/**
 * Canary share: which client a model's canary serves. The Worker (/predict for NAME or NAME@champion)
 * and the PWA (its model choice) both call `servesCanary` with the same client key, so one client sees
 * one version on both paths, and raising the share only adds clients (a client served at share s is
 * served at every share above s).
 *
 * The bucket is a 32-bit FNV-1a hash of `NAME \0 clientKey` (UTF-16 code units), passed through
 * MurmurHash3's finaliser so that keys differing in one character spread over the whole range, and
 * divided by 2^32. Hashing the model name in makes the buckets of different models independent.
 */

/** The alias that carries a share. */
export const CANARY_ALIAS = 'canary';
/** HTTP header a client sends its key in (the PWA: a random id kept in localStorage). */
export const CLIENT_KEY_HEADER = 'X-Client-Key';
/** Longest client key accepted (a UUID is 36 characters). */
export const MAX_CLIENT_KEY_CHARS = 128;

/** A stable number in [0, 1) for (client key, model name). */
export function canaryBucket(clientKey: string, name: string): number {
  const s = `${name}\u0000${clientKey}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // MurmurHash3 fmix32: every input bit reaches every output bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/** Whether the canary (at `share`, 0–1) serves this client for model `name`. */
export function servesCanary(clientKey: string, name: string, share: number): boolean {
  return share > 0 && canaryBucket(clientKey, name) < share;
}

/** Why a share is not acceptable, or null: a number from 0 to 1. */
export function shareProblem(share: unknown): string | null {
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    return `share must be a number from 0 to 1 (the fraction of the champion's traffic the canary serves), got ${JSON.stringify(share)}`;
  }
  return null;
}
