import { canaryBucket, servesCanary, type AliasRecord } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import { clientKey, CLIENT_KEY_STORAGE, recommendedVersion, shouldOffer } from './canary-choice.ts';
import { MemoryStorage } from '../../test/memory-storage.ts';

const alias = (alias: string, version: number, share?: number): AliasRecord => ({ name: 'sentiment', alias, version, updatedAt: '2026-11-30T00:00:00Z', ...(share !== undefined ? { share } : {}) });


describe('the PWA’s canary choice', () => {
  it('makes the client key once and keeps it', () => {
    const s = new MemoryStorage();
    let n = 0;
    const make = () => `key-${n++}`;
    expect(clientKey(s, make)).toBe('key-0');
    expect(clientKey(s, make)).toBe('key-0');
    expect(s.map.get(CLIENT_KEY_STORAGE)).toBe('key-0');
  });

  it('recommends the canary exactly to the keys the Worker sends to it (same hash), about `share` of them', () => {
    const aliases = [alias('champion', 3), alias('canary', 4, 0.2), alias('challenger', 4)];
    const keys = Array.from({ length: 2000 }, (_, i) => `browser-${i}`);
    let canary = 0;
    for (const k of keys) {
      const r = recommendedVersion('sentiment', aliases, k)!;
      expect(r.via === 'canary').toBe(servesCanary(k, 'sentiment', 0.2));
      expect(r.via === 'canary').toBe(canaryBucket(k, 'sentiment') < 0.2);
      expect(r.version).toBe(r.via === 'canary' ? 4 : 3);
      if (r.via === 'canary') canary++;
    }
    expect(Math.abs(canary / keys.length - 0.2)).toBeLessThan(0.03);
    // Stable: the same key always gets the same answer.
    expect(recommendedVersion('sentiment', aliases, 'browser-7')).toEqual(recommendedVersion('sentiment', aliases, 'browser-7'));
  });

  it('recommends the champion without a canary, with share 0, and nothing without a champion', () => {
    expect(recommendedVersion('sentiment', [alias('champion', 3)], 'k')).toEqual({ version: 3, via: 'champion' });
    expect(recommendedVersion('sentiment', [alias('champion', 3), alias('canary', 4, 0)], 'k')).toEqual({ version: 3, via: 'champion' });
    expect(recommendedVersion('sentiment', [alias('champion', 3), alias('canary', 4, 1)], 'k')).toEqual({ version: 4, via: 'canary' });
    expect(recommendedVersion('sentiment', [alias('canary', 4, 1)], 'k')).toBeNull();
  });

  it('offers a newer recommendation, or the champion back to a browser whose canary no longer covers it; never the current one', () => {
    expect(shouldOffer(2, null, { version: 3, via: 'champion' })).toBe(true);
    expect(shouldOffer(2, 'champion', { version: 4, via: 'canary' })).toBe(true);
    expect(shouldOffer(3, 'champion', { version: 3, via: 'champion' })).toBe(false);
    expect(shouldOffer(4, 'canary', { version: 4, via: 'canary' })).toBe(false);
    // The canary ended (or was rolled back): the champion is offered back.
    expect(shouldOffer(4, 'canary', { version: 3, via: 'champion' })).toBe(true);
    // A version chosen by hand: an older recommendation is not pushed (as before canaries).
    expect(shouldOffer(4, null, { version: 3, via: 'champion' })).toBe(false);
    expect(shouldOffer(2, null, null)).toBe(false);
  });
});
