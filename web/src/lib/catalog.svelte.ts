/**
 * The model catalog: which versions and aliases the server has (kept on the device for offline starts),
 * which version this browser uses (saved choice, else its canary when it is in the canary's share, else
 * the champion), the newer version it is offered (never switched to silently), and a version's model card.
 */
import { MODEL_LAYOUT, type Manifest, type ModelInfoResponse, type RegistryClient } from '@sentiment-edge/registry';
import { clientKey, recommendedVersion, shouldOffer, type Recommendation } from './canary-choice.ts';
import { cachedText, fileUrl, MODEL_CACHE } from './model-cache.ts';
import { loadJson, saveJson } from './stored-json.ts';

export interface AliasInfo {
  aliases: Record<string, number>;
  versions: Manifest[];
}

export const SELECTED_KEY = 'sentiment-edge.selected-manifest';
/** How the selected version was chosen: 'canary' when it was recommended as this browser's canary (canary-choice.ts). */
export const SELECTED_VIA_KEY = 'sentiment-edge.selected-via';
/** The last versions + aliases seen (so an offline start still knows which version is the champion). */
export const CATALOG_KEY = 'sentiment-edge.catalog';
const FALLBACK_MODEL = 'sentiment';

export type CatalogClient = Pick<RegistryClient, 'modelInfo' | 'getModel' | 'listVersions' | 'listAliases' | 'getVersion' | 'resolve' | 'downloadFile'>;

export class ModelCatalog {
  manifest = $state.raw<Manifest | null>(null);
  /**
   * The version recommended to this browser when it differs from the chosen one (offered, never switched to
   * silently): a newer champion, or the canary when this browser's client key is in its share (canary-choice.ts).
   */
  newerChampion = $state.raw<Manifest | null>(null);
  /** Why newerChampion is offered: it is the champion, or this browser's canary. */
  newerVia = $state.raw<Recommendation['via']>('champion');
  info = $state.raw<ModelInfoResponse | null>(null);
  /** The versions (ready ones, newest first) and aliases last read from the server, or kept on the device. */
  listing = $state.raw<AliasInfo | null>(null);

  #client: CatalogClient;
  #baseUrl: string;
  /** Loads a chosen version (EngineModel.load). */
  #load: (m: Manifest) => Promise<void>;

  constructor(client: CatalogClient, baseUrl: string, load: (m: Manifest) => Promise<void>) {
    this.#client = client;
    this.#baseUrl = baseUrl;
    this.#load = load;
    // A missing or damaged copy: fetched again when online.
    this.listing = loadJson<AliasInfo>(CATALOG_KEY) ?? this.listing;
  }

  get modelName(): string {
    return this.manifest?.name ?? this.info?.defaultModel ?? FALLBACK_MODEL;
  }

  /**
   * The saved choice if any (loaded at once, without waiting for the network), else this browser's canary
   * or the champion; loads it. When no version can be had (offline with none saved, or none published),
   * `onNone` is told why.
   */
  async chooseInitialModel(onNone: (e: unknown) => void): Promise<void> {
    const saved = localStorage.getItem(SELECTED_KEY);
    if (saved) {
      const m = JSON.parse(saved) as Manifest;
      this.manifest = m;
      const loading = this.#load(m);
      void this.refreshCatalog();
      return loading;
    }
    try {
      const rec = await this.refreshCatalog();
      if (rec?.via === 'canary') {
        // This browser is in the canary's share: its first model is the canary (the same choice /predict makes).
        const name = this.modelName;
        await this.select(this.listing?.versions.find((v) => v.version === rec.version) ?? (await this.#client.getVersion(name, rec.version)), 'canary');
        return;
      }
      const champion = await this.#client.resolve(`${this.modelName}@champion`);
      await this.select(champion);
    } catch (e) {
      onNone(e);
    }
  }

  /**
   * Model info, versions and aliases from the Worker (best effort: offline keeps the last known); returns
   * the version recommended to this browser (champion or canary), or null when unknown.
   */
  async refreshCatalog(): Promise<Recommendation | null> {
    try {
      this.info = await this.#client.modelInfo();
    } catch {
      // model-info is optional for the browser: the registry routes below are enough
    }
    try {
      const name = this.modelName;
      const [model, list, aliasList] = await Promise.all([this.#client.getModel(name), this.#client.listVersions(name), this.#client.listAliases(name)]);
      this.listing = { aliases: model.aliases, versions: list.versions.filter((v) => v.status === 'ready').sort((a, b) => b.version - a.version) };
      saveJson(CATALOG_KEY, this.listing);
      const rec = recommendedVersion(name, aliasList.aliases, clientKey());
      const cur = this.manifest;
      if (cur && rec && shouldOffer(cur.version, this.#selectedVia(), rec)) {
        this.newerChampion = this.listing.versions.find((v) => v.version === rec.version) ?? (await this.#client.getVersion(name, rec.version));
        this.newerVia = rec.via;
      } else {
        this.newerChampion = null;
      }
      return rec;
    } catch {
      // offline or the registry is down: keep what we had
      return null;
    }
  }

  #selectedVia(): Recommendation['via'] | null {
    try {
      return localStorage.getItem(SELECTED_VIA_KEY) === 'canary' ? 'canary' : null;
    } catch {
      return null;
    }
  }

  /** Chooses a version (persisted, with `via` 'canary' when it is this browser's canary) and loads it. */
  async select(m: Manifest, via: Recommendation['via'] | null = null): Promise<void> {
    localStorage.setItem(SELECTED_KEY, JSON.stringify(m));
    if (via === 'canary') localStorage.setItem(SELECTED_VIA_KEY, via);
    else localStorage.removeItem(SELECTED_VIA_KEY);
    this.manifest = m;
    if (this.newerChampion && this.newerChampion.version <= m.version) this.newerChampion = null;
    await this.#load(m);
    void this.refreshCatalog();
  }

  /** The model card (README.md) of a version: from the device cache, else from the registry. */
  async modelCard(m: Manifest): Promise<string | null> {
    if (!m.files.some((f) => f.path === MODEL_LAYOUT.card)) return null;
    try {
      const cache = await caches.open(MODEL_CACHE);
      const hit = await cachedText(cache, fileUrl(this.#baseUrl, m.name, m.version, MODEL_LAYOUT.card));
      if (hit !== null) return hit;
      return new TextDecoder().decode(await this.#client.downloadFile(m.name, m.version, MODEL_LAYOUT.card));
    } catch {
      return null;
    }
  }
}
