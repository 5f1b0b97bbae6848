/**
 * The application model: one object for the components, composed of the model catalog (catalog.svelte.ts),
 * the engine (engine.svelte.ts) and the history with its sync (history-sync.svelte.ts). It owns what spans
 * them: the online state and its events, and the start-up order. Its reactive state is theirs ($state.raw),
 * read through the getters below, so components stay thin.
 */
import { RegistryClient, type Manifest } from '@sentiment-edge/registry';
import type { Recommendation } from './canary-choice.ts';
import { ModelCatalog } from './catalog.svelte.ts';
import { EngineModel } from './engine.svelte.ts';
import { HistoryModel } from './history-sync.svelte.ts';

export type { AliasInfo } from './catalog.svelte.ts';
export type { EngineState, EngineStatus, PredictionResult } from './engine.svelte.ts';

export class AppModel {
  readonly baseUrl: string;
  readonly client: RegistryClient;
  readonly params: URLSearchParams;
  readonly models: ModelCatalog;
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
      manifest: () => this.models.manifest,
      choosing: () => this.#choosing,
    });
    this.models = new ModelCatalog(this.client, baseUrl, (m) => this.engineModel.load(m));
    this.historyModel = new HistoryModel(this.client);
  }

  async init(): Promise<void> {
    this.online = navigator.onLine;
    addEventListener('online', () => {
      this.online = true;
      void this.syncNow();
      void this.refreshCatalog();
      if (this.engine.status !== 'ready' && this.manifest) void this.load(this.manifest);
      else if (!this.manifest) void (this.#choosing = this.chooseInitialModel());
    });
    addEventListener('offline', () => {
      this.online = false;
      this.historyModel.pauseRetry(); // the `online` event syncs again
    });
    // Offline-first: a saved manifest starts the worker and the model load right away, before the history
    // database opens and without waiting for the network.
    const choosing = (this.#choosing = this.chooseInitialModel());
    await this.historyModel.open();
    void this.syncNow();
    await choosing;
  }

  /** The saved choice if any, else this browser's canary or the champion; loads it, or says why there is none. */
  chooseInitialModel(): Promise<void> {
    return this.models.chooseInitialModel((e) => this.engineModel.unavailable(e));
  }

  // ---- the catalog -----------------------------------------------------------------------------
  get manifest() { return this.models.manifest; }
  get newerChampion() { return this.models.newerChampion; }
  get newerVia() { return this.models.newerVia; }
  get info() { return this.models.info; }
  get catalog() { return this.models.catalog; }
  get modelName(): string { return this.models.modelName; }
  refreshCatalog(): Promise<Recommendation | null> { return this.models.refreshCatalog(); }
  select(m: Manifest, via: Recommendation['via'] | null = null): Promise<void> { return this.models.select(m, via); }
  modelCard(m: Manifest): Promise<string | null> { return this.models.modelCard(m); }

  // ---- the engine ------------------------------------------------------------------------------
  get engine() { return this.engineModel.state; }
  load(m: Manifest): Promise<void> { return this.engineModel.load(m); }
  /** Drops the cached files of the chosen version and loads it again (after an integrity failure). */
  async redownload(): Promise<void> {
    if (this.manifest) await this.engineModel.redownload(this.manifest);
  }
  predict: EngineModel['predict'] = (text, signal) => this.engineModel.predict(text, signal);
  predictMany: EngineModel['predictMany'] = (texts, onProgress, signal) => this.engineModel.predictMany(texts, onProgress, signal);
  deviceBytes(m: Manifest): number { return this.engineModel.deviceBytes(m); }
  isOnDevice(m: Manifest): Promise<boolean> { return this.engineModel.isOnDevice(m); }

  // ---- the history and its sync ----------------------------------------------------------------
  get history() { return this.historyModel.history; }
  get historyCounts() { return this.historyModel.historyCounts; }
  get historyLabels() { return this.historyModel.historyLabels; }
  get historyFilter() { return this.historyModel.historyFilter; }
  get syncMessage() { return this.historyModel.syncMessage; }
  get persisted() { return this.historyModel.persisted; }
  record: HistoryModel['record'] = (text, r) => this.historyModel.record(text, r);
  recordMany: HistoryModel['recordMany'] = (...args) => this.historyModel.recordMany(...args);
  deleteRecord: HistoryModel['deleteRecord'] = (id) => this.historyModel.deleteRecord(id);
  restoreRecord: HistoryModel['restoreRecord'] = (row) => this.historyModel.restoreRecord(row);
  allHistory: HistoryModel['allHistory'] = () => this.historyModel.allHistory();
  refreshHistory: HistoryModel['refreshHistory'] = (filter) => this.historyModel.refreshHistory(filter);
  syncNow: HistoryModel['syncNow'] = () => this.historyModel.syncNow();
  correct: HistoryModel['correct'] = (id, label) => this.historyModel.correct(id, label);
  clearHistory: HistoryModel['clearHistory'] = () => this.historyModel.clearHistory();
}
