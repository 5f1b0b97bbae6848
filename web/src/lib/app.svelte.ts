/**
 * The application model: the model catalog (catalog.svelte.ts), the engine (engine.svelte.ts) and the
 * history with its sync (history-sync.svelte.ts), wired together, plus what spans them: the online state and
 * its events, the start-up order, and a fresh download of the chosen version. Components take `app` and use
 * the part they show (`app.catalog`, `app.engine`, `app.history`); each part exposes its
 * reactive state ($state.raw), so components stay thin.
 */
import { RegistryClient } from '@sentiment-edge/registry';
import { ModelCatalog } from './catalog.svelte.ts';
import { EngineModel } from './engine.svelte.ts';
import { HistoryModel } from './history-sync.svelte.ts';
import { liveProbe, Reachability } from './reachability.ts';

export type { AliasInfo } from './catalog.svelte.ts';
export type { EngineState, EngineStatus, PredictionResult } from './engine.svelte.ts';

export class AppModel {
  readonly baseUrl: string;
  readonly client: RegistryClient;
  readonly params: URLSearchParams;
  readonly catalog: ModelCatalog;
  readonly engine: EngineModel;
  readonly history: HistoryModel;

  online = $state.raw(true);
  #reach: Reachability;

  /** The first choice of a model (saved or the champion): predictions wait for it instead of failing. */
  #choosing: Promise<void> = Promise.resolve();

  constructor(baseUrl = location.origin, params = new URLSearchParams(location.search)) {
    this.baseUrl = baseUrl;
    this.params = params;
    this.client = new RegistryClient({ baseUrl });
    this.engine = new EngineModel({
      baseUrl,
      params,
      client: this.client,
      isOnline: () => this.online,
      manifest: () => this.catalog.manifest,
      choosing: () => this.#choosing,
    });
    this.catalog = new ModelCatalog(this.client, baseUrl, (m) => this.engine.load(m));
    this.history = new HistoryModel(this.client, { isOnline: () => this.online });
    this.#reach = new Reachability(true, { probe: liveProbe(baseUrl), onChange: (online) => this.#onlineChanged(online) });
  }

  async init(): Promise<void> {
    // navigator.onLine can be wrong (see reachability.ts): the server is asked as well, and asked again
    // every few seconds while offline.
    this.#reach.set(navigator.onLine);
    addEventListener('online', () => this.#reach.set(true));
    addEventListener('offline', () => this.#reach.set(false));
    if (navigator.onLine) void this.#reach.check();
    // Offline-first: a saved manifest starts the worker and the model load right away, before the history
    // database opens and without waiting for the network.
    const choosing = (this.#choosing = this.chooseInitialModel());
    await this.history.open();
    void this.history.syncNow();
    await choosing;
  }

  #onlineChanged(online: boolean): void {
    this.online = online;
    if (!online) {
      this.history.pauseRetry(); // coming back online syncs again
      return;
    }
    void this.history.syncNow();
    void this.catalog.refreshCatalog();
    const m = this.catalog.manifest;
    if (this.engine.state.status !== 'ready' && m) void this.engine.load(m);
    else if (!m) void (this.#choosing = this.chooseInitialModel());
  }

  /** The saved choice if any, else this browser's canary or the champion; loads it, or says why there is none. */
  chooseInitialModel(): Promise<void> {
    return this.catalog.chooseInitialModel((e) => this.engine.unavailable(e));
  }

  /** Drops the cached files of the chosen version and loads it again (after an integrity failure). */
  async redownload(): Promise<void> {
    const m = this.catalog.manifest;
    if (m) await this.engine.redownload(m);
  }
}
