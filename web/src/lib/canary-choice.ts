/**
 * Which version the PWA recommends to this browser: the champion, or the canary when this browser's
 * client key falls in the canary's share — the same `servesCanary` (registry canary.ts) and the same
 * key the Worker's /predict uses, so one browser sees one version on both paths. The key is a random
 * id made once and kept in localStorage. The app offers the recommended version like a newer
 * champion (a banner, switched only when asked), never mid-session.
 */
import { CANARY_ALIAS, servesCanary, type AliasRecord } from '@sentiment-edge/registry';

export const CLIENT_KEY_STORAGE = 'sentiment-edge.client-key';

export interface Recommendation {
  version: number;
  via: 'champion' | 'canary';
}

type KeyStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** This browser's client key: made once (a random UUID) and kept; a fresh one per call if storage fails. */
export function clientKey(storage: KeyStorage = localStorage, make: () => string = () => crypto.randomUUID()): string {
  try {
    const saved = storage.getItem(CLIENT_KEY_STORAGE);
    if (saved) return saved;
    const key = make();
    storage.setItem(CLIENT_KEY_STORAGE, key);
    return key;
  } catch {
    return make();
  }
}

/** The version to recommend for model `name` with these aliases, or null without a champion. */
export function recommendedVersion(name: string, aliases: readonly AliasRecord[], key: string): Recommendation | null {
  const champion = aliases.find((a) => a.alias === 'champion');
  if (!champion) return null;
  const canary = aliases.find((a) => a.alias === CANARY_ALIAS);
  if (canary && canary.share !== undefined && servesCanary(key, name, canary.share)) return { version: canary.version, via: 'canary' };
  return { version: champion.version, via: 'champion' };
}

/**
 * Whether to offer the recommended version to a browser using `current` (chosen as `currentVia`: the
 * canary, or otherwise): when it is newer, as for a newer champion; or when the browser was put on a
 * canary that no longer covers it (ended, rolled back, share lowered), so it is offered the champion back.
 */
export function shouldOffer(current: number, currentVia: Recommendation['via'] | null, recommended: Recommendation | null): boolean {
  if (!recommended || recommended.version === current) return false;
  return recommended.version > current || currentVia === 'canary';
}
