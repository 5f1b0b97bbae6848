/**
 * The application model: the model catalog (catalog.svelte.ts), the engine (engine.svelte.ts) and the
 * history with its sync (history-sync.svelte.ts), wired together, plus what spans them: the online state and
 * its events, the start-up order, and a fresh download of the chosen version. Components take `app` and use
 * the part they show (`app.catalogModel`, `app.engineModel`, `app.historyModel`); each part exposes its
 * reactive state ($state.raw), so components stay thin.
 */
import { RegistryClient } from '@sentiment-edge/registry';
import { ModelCatalog } from './catalog.svelte.ts';
import { EngineModel } from './engine.svelte.ts';
import { HistoryModel } from './history-sync.svelte.ts';

export type { AliasInfo } from './catalog.svelte.ts';
export type { EngineState, EngineStatus, PredictionResult } from './engine.svelte.ts';

export class AppModel {
  readonly baseUrl: string;
  readonly client: RegistryClient;
  readonly params: URLSearchParams;
  readonly catalogModel: ModelCatalog;
  readonly engineModel: EngineModel;
  readonly historyModel: HistoryModel;

  online = $state.raw(true);

  /** The first choice of a model (saved or the champion): predictions wait for it instead of failing. */
  #choosing: Promise<void> = Promise.resolve();

  constructor(baseUrl = location.origin, params = new URLSearchParams(location.search)) {
    this.baseUrl = baseUrl;
    this.params = params;
    this.client = new RegistryClient({ baseUrl });
    this.engineModel = new EngineModel({
      baseUrl,
      params,
      client: this.client,
      isOnline: () => this.online,
      manifest: () => this.catalogModel.manifest,
      choosing: () => this.#choosing,
    });
    this.catalogModel = new ModelCatalog(this.client, baseUrl, (m) => this.engineModel.load(m));
    this.historyModel = new HistoryModel(this.client);
  }

  async init(): Promise<void> {
    this.online = navigator.onLine;
    addEventListener('online', () => {
      this.online = true;
      void this.historyModel.syncNow();
      void this.catalogModel.refreshCatalog();
      const m = this.catalogModel.manifest;
      if (this.engine.status !== 'ready' && m) void this.engineModel.load(m);
      else if (!m) void (this.#choosing = this.chooseInitialModel());
    });
    addEventListener('offline', () => {
      this.online = false;
      this.historyModel.pauseRetry(); // the `online` event syncs again
    });
    // Offline-first: a saved manifest starts the worker and the model load right away, before the history
    // database opens and without waiting for the network.
    const choosing = (this.#choosing = this.chooseInitialModel());
    await this.historyModel.open();
    void this.historyModel.syncNow();
    await choosing;
  }

  /** The saved choice if any, else this browser's canary or the champion; loads it, or says why there is none. */
  chooseInitialModel(): Promise<void> {
    return this.catalogModel.chooseInitialModel((e) => this.engineModel.unavailable(e));
  }

  /** Drops the cached files of the chosen version and loads it again (after an integrity failure). */
  async redownload(): Promise<void> {
    const m = this.catalogModel.manifest;
    if (m) await this.engineModel.redownload(m);
  }

  // What the browser tests and the console read (globalThis.sentimentEdge): the engine's state, the
  // history, and one prediction as the main screen makes it.
  get engine() {
    return this.engineModel.state;
  }
  get history() {
    return this.historyModel.history;
  }
  get historyCounts() {
    return this.historyModel.historyCounts;
  }
  predict: EngineModel['predict'] = (text, signal) => this.engineModel.predict(text, signal);
}
