import type { AliasRecord, Manifest } from '@sentiment-edge/registry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../../test/memory-storage.ts';
import { CATALOG_KEY, ModelCatalog, SELECTED_KEY, SELECTED_VIA_KEY, type CatalogClient } from './catalog.svelte.ts';

const version = (v: number, status = 'ready') => ({ name: 'sentiment', version: v, status, labels: ['negative', 'positive'], files: [], bytes: 1 }) as unknown as Manifest;
const alias = (a: string, v: number, share?: number): AliasRecord => ({ name: 'sentiment', alias: a, version: v, updatedAt: '2026-12-01T00:00:00Z', ...(share !== undefined ? { share } : {}) });

/** A registry whose champion is v2 (v3 still uploading), optionally with a canary serving every client. */
function registry(opts: { down?: boolean; canary?: number } = {}): CatalogClient & { resolved: string[] } {
  const resolved: string[] = [];
  const up = <T>(v: T) => (opts.down ? Promise.reject(new Error('fetch failed')) : Promise.resolve(v));
  const aliases = [alias('champion', 2), ...(opts.canary ? [alias('canary', opts.canary, 1)] : [])];
  return {
    resolved,
    modelInfo: () => up({ defaultModel: 'sentiment' }),
    getModel: () => up({ name: 'sentiment', aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])) }),
    listVersions: () => up({ versions: [version(1), version(3, 'pending'), version(2), ...(opts.canary ? [version(opts.canary)] : [])] }),
    listAliases: () => up({ aliases }),
    getVersion: (_n: string, v: number) => up(version(v)),
    resolve: (ref: string) => (resolved.push(ref), up(version(2))),
    downloadFile: () => up(new TextEncoder().encode('# card')),
  } as unknown as CatalogClient & { resolved: string[] };
}

let storage: MemoryStorage;
beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal('localStorage', storage);
});
afterEach(() => vi.unstubAllGlobals());

describe('ModelCatalog', () => {
  it('without a saved choice: chooses the champion, saves it and the catalog (ready versions, newest first)', async () => {
    const loaded: number[] = [];
    const c = new ModelCatalog(registry(), 'http://test', async (m) => void loaded.push(m.version));
    const none = vi.fn();
    await c.chooseInitialModel(none);
    expect(none).not.toHaveBeenCalled();
    expect(loaded).toEqual([2]);
    expect(c.manifest?.version).toBe(2);
    expect(c.modelName).toBe('sentiment');
    expect(c.listing?.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(c.listing?.aliases).toEqual({ champion: 2 });
    expect((JSON.parse(storage.getItem(SELECTED_KEY)!) as Manifest).version).toBe(2);
    expect(storage.getItem(SELECTED_VIA_KEY)).toBeNull();
    expect(JSON.parse(storage.getItem(CATALOG_KEY)!)).toEqual(c.listing);
    expect(c.newerChampion).toBeNull();
  });

  it("a browser in the canary's share starts on the canary, chosen as such", async () => {
    const loaded: number[] = [];
    const c = new ModelCatalog(registry({ canary: 4 }), 'http://test', async (m) => void loaded.push(m.version));
    await c.chooseInitialModel(() => undefined);
    expect(loaded).toEqual([4]);
    expect(storage.getItem(SELECTED_VIA_KEY)).toBe('canary');
  });

  it('a saved choice loads at once; a newer champion is offered, not switched to, and choosing it clears the offer', async () => {
    storage.setItem(SELECTED_KEY, JSON.stringify(version(1)));
    const loaded: number[] = [];
    const c = new ModelCatalog(registry(), 'http://test', async (m) => void loaded.push(m.version));
    await c.chooseInitialModel(() => undefined);
    expect(loaded).toEqual([1]);
    expect(c.manifest?.version).toBe(1);
    await c.refreshCatalog();
    expect(c.newerChampion?.version).toBe(2);
    expect(c.newerVia).toBe('champion');
    expect(c.manifest?.version).toBe(1);
    await c.select(c.newerChampion!);
    expect(c.newerChampion).toBeNull();
    expect(loaded).toEqual([1, 2]);
  });

  it('no saved choice and no server: says why, and keeps the catalog it had', async () => {
    storage.setItem(CATALOG_KEY, JSON.stringify({ aliases: { champion: 1 }, versions: [version(1)] }));
    const c = new ModelCatalog(registry({ down: true }), 'http://test', async () => undefined);
    expect(c.listing?.aliases).toEqual({ champion: 1 });
    const none = vi.fn();
    await c.chooseInitialModel(none);
    expect(none).toHaveBeenCalledOnce();
    expect(String(none.mock.calls[0]![0])).toContain('fetch failed');
    expect(c.manifest).toBeNull();
    expect(await c.refreshCatalog()).toBeNull();
    expect(c.listing?.aliases).toEqual({ champion: 1 });
  });

  it('a model card comes from the registry when the device has none, and a version without one has none', async () => {
    vi.stubGlobal('caches', { open: async () => ({ match: async () => undefined }) });
    const c = new ModelCatalog(registry(), 'http://test', async () => undefined);
    expect(await c.modelCard(version(2))).toBeNull();
    const withCard = { ...version(2), files: [{ path: 'README.md', sha256: 'a'.repeat(64), bytes: 6 }] } as unknown as Manifest;
    expect(await c.modelCard(withCard)).toBe('# card');
  });
});
