/**
 * The application model: owns the inference worker (through InferenceBridge), the history store and
 * its sync, and the model choice, and exposes reactive state ($state.raw) to thin components.
 */
import {
  ApiError,
  MAX_TEXTS,
  MODEL_LAYOUT,
  RegistryClient,
  sha256Hex,
  type Manifest,
  type ModelInfoResponse,
} from '@sentiment-edge/registry';
import { InferenceBridge } from './bridge.ts';
import { HistoryStore, type HistoryFilter, type LocalHistoryRecord } from './history-store.ts';
import { InferenceError, type Backend, type ExplainedPrediction, type FailureCode, type ProgressMessage } from './messages.ts';
import { cachedText, fileUrl, filesFor, isCached, MODEL_CACHE } from './model-cache.ts';
import { HistorySync, SyncRetry } from './sync.ts';
import { FeedbackSync } from './feedback-sync.ts';
import { clientKey, recommendedVersion, shouldOffer, type Recommendation } from './canary-choice.ts';
import { plainDetail, plural } from './wording.ts';
import { loadJson, saveJson } from './stored-json.ts';

export type EngineStatus = 'starting' | 'loading' | 'ready' | 'server' | 'unavailable';

export interface EngineState {
  status: EngineStatus;
  /** Where predictions run now. */
  backend: Backend | 'server' | null;
  labels: string[];
  progress: ProgressMessage | null;
  /** Why the in-browser model is not in use (failure), or a note about the backend. */
  message: string | null;
  failure: FailureCode | null;
  fromCache: boolean;
  loadMs: number | null;
}

export interface PredictionResult extends ExplainedPrediction {
  model: { name: string; version: number };
  latencyMs: number;
  via: Backend | 'server';
  /** The server's history row of a /predict answer (its id there, so a correction reaches it). */
  serverId?: string;
}

export interface AliasInfo {
  aliases: Record<string, number>;
  versions: Manifest[];
}

const SELECTED_KEY = 'sentiment-edge.selected-manifest';
/** How the selected version was chosen: 'canary' when it was recommended as this browser's canary (canary-choice.ts). */
const SELECTED_VIA_KEY = 'sentiment-edge.selected-via';
/** The last versions + aliases seen (so an offline start still knows which version is the champion). */
const CATALOG_KEY = 'sentiment-edge.catalog';
const FALLBACK_MODEL = 'sentiment';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class AppModel {
  readonly baseUrl: string;
  readonly client: RegistryClient;
  readonly params: URLSearchParams;

  engine = $state.raw<EngineState>({ status: 'starting', backend: null, labels: [], progress: null, message: null, failure: null, fromCache: false, loadMs: null });
  online = $state.raw(true);
  manifest = $state.raw<Manifest | null>(null);
  /**
   * The version recommended to this browser when it differs from the chosen one (offered, never switched to
   * silently): a newer champion, or the canary when this browser's client key is in its share (canary-choice.ts).
   */
  newerChampion = $state.raw<Manifest | null>(null);
  /** Why newerChampion is offered: it is the champion, or this browser's canary. */
  newerVia = $state.raw<Recommendation['via']>('champion');
  info = $state.raw<ModelInfoResponse | null>(null);
  catalog = $state.raw<AliasInfo | null>(null);
  history = $state.raw<LocalHistoryRecord[]>([]);
  historyCounts = $state.raw({ total: 0, pending: 0 });
  historyLabels = $state.raw<string[]>([]);
  historyFilter = $state.raw<HistoryFilter>({});
  syncMessage = $state.raw<string | null>(null);

  #bridge: InferenceBridge | null = null;
  #store: HistoryStore | null = null;
  #sync: HistorySync | null = null;
  #feedbackSync: FeedbackSync | null = null;
  #ready: Promise<void> = Promise.resolve();
  /** The first choice of a model (saved or the champion): predictions wait for it instead of failing. */
  #choosing: Promise<void> = Promise.resolve();
  /** syncMessage is a "could not sync" note (cleared by the next sync that succeeds). */
  #syncFailed = false;
  /** Retries a sync that could not reach the server, with backoff, while online. */
  #retry = new SyncRetry(() => this.syncNow(), { isOnline: () => navigator.onLine });
  /** navigator.storage.persist() is asked once, after the first saved prediction. */
  #persistAsked = false;
  /** Whether the browser keeps this site's storage (model + history) under storage pressure: null until known. */
  persisted = $state.raw<boolean | null>(null);

  constructor(baseUrl = location.origin, params = new URLSearchParams(location.search)) {
    this.baseUrl = baseUrl;
    this.params = params;
    this.client = new RegistryClient({ baseUrl });
  }

  get modelName(): string {
    return this.manifest?.name ?? this.info?.defaultModel ?? FALLBACK_MODEL;
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
      this.#retry.cancel(); // the `online` event syncs again
    });
    // A missing or damaged copy: fetched again when online.
    this.catalog = loadJson<AliasInfo>(CATALOG_KEY) ?? this.catalog;
    void navigator.storage?.persisted?.().then((p) => (this.persisted = p)).catch(() => undefined);
    // Offline-first: a saved manifest starts the worker and the model load right away, before the history
    // database opens and without waiting for the network.
    const choosing = (this.#choosing = this.chooseInitialModel());
    this.#store = await HistoryStore.open();
    this.#sync = new HistorySync(this.#store, this.client);
    this.#feedbackSync = new FeedbackSync(this.#store, this.client);
    await this.refreshHistory();
    void this.syncNow();
    await choosing;
  }

  /** The saved choice if any, else the champion; loads it. */
  async chooseInitialModel(): Promise<void> {
    const saved = localStorage.getItem(SELECTED_KEY);
    if (saved) {
      const m = JSON.parse(saved) as Manifest;
      this.manifest = m;
      const loading = this.load(m);
      void this.refreshCatalog();
      return loading;
    }
    try {
      const rec = await this.refreshCatalog();
      if (rec?.via === 'canary') {
        // This browser is in the canary's share: its first model is the canary (the same choice /predict makes).
        const name = this.modelName;
        await this.select(this.catalog?.versions.find((v) => v.version === rec.version) ?? (await this.client.getVersion(name, rec.version)), 'canary');
        return;
      }
      const champion = await this.client.resolve(`${this.modelName}@champion`);
      await this.select(champion);
    } catch (e) {
      this.engine = {
        ...this.engine,
        status: 'unavailable',
        backend: null,
        failure: 'offline_no_model',
        message: this.online
          ? `No model is available from the server yet (${plainDetail(errorText(e))}). Try again later.`
          : 'You are offline and no model is stored on this device yet. Connect to the internet once and reload: the model is downloaded, checked and kept on this device, and then works offline.',
      };
    }
  }

  /**
   * Model info, versions and aliases from the Worker (best effort: offline keeps the last known); returns
   * the version recommended to this browser (champion or canary), or null when unknown.
   */
  async refreshCatalog(): Promise<Recommendation | null> {
    try {
      this.info = await this.client.modelInfo();
    } catch {
      // model-info is optional for the browser: the registry routes below are enough
    }
    try {
      const name = this.modelName;
      const [model, list, aliasList] = await Promise.all([this.client.getModel(name), this.client.listVersions(name), this.client.listAliases(name)]);
      this.catalog = { aliases: model.aliases, versions: list.versions.filter((v) => v.status === 'ready').sort((a, b) => b.version - a.version) };
      saveJson(CATALOG_KEY, this.catalog);
      const rec = recommendedVersion(name, aliasList.aliases, clientKey());
      const cur = this.manifest;
      if (cur && rec && shouldOffer(cur.version, this.#selectedVia(), rec)) {
        this.newerChampion = this.catalog.versions.find((v) => v.version === rec.version) ?? (await this.client.getVersion(name, rec.version));
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
    await this.load(m);
    void this.refreshCatalog();
  }

  #newBridge(): InferenceBridge {
    this.#bridge?.terminate();
    const w = new Worker(new URL('../inference-worker/inference.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
    this.#bridge = new InferenceBridge(w);
    return this.#bridge;
  }

  /** Loads a version into the browser; on failure falls back to the server (online) or explains (offline). */
  load(m: Manifest): Promise<void> {
    const run = async () => {
      this.engine = { ...this.engine, status: 'loading', progress: null, message: null, failure: null };
      // A fresh worker per load: a failed runtime never poisons the next attempt.
      const bridge = this.#newBridge();
      try {
        const loaded = await bridge.call<'load'>(
          {
            type: 'load',
            baseUrl: this.baseUrl,
            manifest: m,
            preferWebGPU: this.params.get('backend') !== 'wasm',
            simulateFailure: this.params.get('fail') === 'model',
          },
          { onProgress: (p) => (this.engine = { ...this.engine, progress: p }) },
        );
        this.engine = {
          status: 'ready',
          backend: loaded.backend,
          labels: loaded.labels,
          progress: null,
          message: loaded.backendNote ?? null,
          failure: null,
          fromCache: loaded.fromCache,
          loadMs: loaded.loadMs,
        };
      } catch (e) {
        const code = e instanceof InferenceError ? e.code : 'load';
        this.#bridge?.terminate();
        this.#bridge = null;
        this.#fail(code, errorText(e), m);
      }
    };
    this.#ready = run();
    return this.#ready;
  }

  #fail(code: FailureCode, detail: string, m: Manifest): void {
    const why: Record<FailureCode, string> = {
      no_wasm: 'This browser cannot run WebAssembly, so the model cannot run on this device.',
      offline_no_model: `You are offline and ${m.name} v${m.version} is not stored on this device yet. Connect to the internet and reload once; after that it works offline.`,
      integrity: `The model was refused: ${detail}`,
      download: `The model could not be downloaded (${plainDetail(detail)}).`,
      load: `The model could not be loaded in this browser: ${plainDetail(detail)}`,
      oom: 'This device ran out of memory loading the model.',
      run: `The model failed while predicting: ${plainDetail(detail)}`,
      cancelled: 'Loading was cancelled.',
      not_loaded: 'No model is loaded.',
    };
    const serverOk = this.online && code !== 'offline_no_model';
    this.engine = {
      ...this.engine,
      status: serverOk ? 'server' : 'unavailable',
      backend: serverOk ? 'server' : null,
      labels: m.labels,
      progress: null,
      failure: code,
      message: why[code] + (serverOk ? ' Predictions are made by the server instead (your text is sent to it).' : ''),
    };
  }

  /** Drops the cached files of the chosen version and loads it again (after an integrity failure). */
  async redownload(): Promise<void> {
    if (!this.manifest) return;
    const cache = await caches.open(MODEL_CACHE);
    for (const f of this.manifest.files) await cache.delete(fileUrl(this.baseUrl, this.manifest.name, this.manifest.version, f.path));
    await this.load(this.manifest);
  }

  /** Classifies one text in the browser, or on the server in fallback mode. */
  async predict(text: string, signal?: AbortSignal): Promise<PredictionResult> {
    // During the first load the text waits for the model instead of failing.
    await this.#choosing;
    await this.#ready;
    const m = this.manifest;
    if (!m) throw new Error(this.engine.message ?? 'No model is available yet.');
    if (this.engine.status === 'ready' && this.#bridge) {
      try {
        const t0 = performance.now();
        const r = await this.#bridge.call<'predict'>({ type: 'predict', texts: [text], explain: true }, signal ? { signal } : {});
        return { ...r.predictions[0]!, model: { name: m.name, version: m.version }, latencyMs: performance.now() - t0, via: this.engine.backend as Backend };
      } catch (e) {
        if (e instanceof InferenceError && e.code === 'cancelled') throw e;
        this.#fail(e instanceof InferenceError ? e.code : 'run', errorText(e), m);
      }
    }
    if (this.engine.status === 'server' || (this.online && this.engine.status !== 'loading')) {
      const r = await this.client.predict(text, `${m.name}@${m.version}`);
      return { label: r.label, score: r.score, probabilities: r.probabilities, model: r.model, latencyMs: r.latencyMs, via: 'server', serverId: r.id };
    }
    throw new Error(this.engine.message ?? 'The model is not available.');
  }

  /** Classifies many texts (browser worker in chunks, or the server in batches of MAX_TEXTS). */
  async predictMany(texts: string[], onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<ExplainedPrediction[]> {
    await this.#choosing;
    await this.#ready;
    if (this.engine.status === 'ready' && this.#bridge) {
      const r = await this.#bridge.call<'predict'>(
        { type: 'predict', texts, chunkSize: 128 },
        { ...(signal ? { signal } : {}), onProgress: (p) => onProgress(p.done, p.total) },
      );
      onProgress(texts.length, texts.length);
      return r.predictions;
    }
    if (this.engine.status !== 'server' || !this.manifest) throw new Error(this.engine.message ?? 'The model is not available.');
    const out: ExplainedPrediction[] = [];
    for (let i = 0; i < texts.length; i += MAX_TEXTS) {
      if (signal?.aborted) throw new InferenceError('cancelled', 'cancelled');
      const r = await this.client.predictMany(texts.slice(i, i + MAX_TEXTS), `${this.manifest.name}@${this.manifest.version}`);
      out.push(...r.predictions);
      onProgress(out.length, texts.length);
    }
    return out;
  }

  /** Stores a settled prediction in the history (pending sync when made in the browser); returns its row id. */
  async record(text: string, r: PredictionResult): Promise<string | null> {
    if (!this.#store) return null;
    const rec: LocalHistoryRecord = {
      id: r.serverId ?? crypto.randomUUID(),
      createdAt: new Date().toISOString(),
      model: r.model,
      label: r.label,
      score: r.score,
      probabilities: r.probabilities,
      textLength: text.length,
      textSha256: await sha256Hex(text),
      text,
      source: r.via === 'server' ? 'edge' : 'browser',
      latencyMs: Math.round(r.latencyMs * 1000) / 1000,
      // What drift monitoring needs without the text (browser rows; the server records its own).
      ...(r.tokenStats ? { tokens: r.tokenStats.tokens, unknownShare: r.tokenStats.unknownShare } : {}),
      // The server logs its own predictions: only browser rows need sending.
      syncState: r.via === 'server' ? 'synced' : 'pending',
    };
    await this.#store.add(rec);
    await this.refreshHistory();
    void this.syncNow();
    void this.#persistStorage();
    return rec.id;
  }

  /**
   * Saves batch results to the history (on the user's request). Browser rows wait to sync like any other;
   * rows the server answered are stored as synced (the server logged them itself).
   */
  async recordMany(texts: readonly string[], predictions: readonly ExplainedPrediction[], via: Backend | 'server', model: { name: string; version: number }, elapsedMs: number): Promise<number> {
    if (!this.#store) return 0;
    const t0 = Date.now();
    const latency = Math.round((elapsedMs / Math.max(1, predictions.length)) * 1000) / 1000;
    const rows: LocalHistoryRecord[] = [];
    for (const [i, p] of predictions.entries()) {
      const text = texts[i] ?? '';
      rows.push({
        id: crypto.randomUUID(),
        // Distinct, increasing timestamps keep the input order in the (newest first) list.
        createdAt: new Date(t0 + i).toISOString(),
        model,
        label: p.label,
        score: p.score,
        probabilities: p.probabilities,
        textLength: text.length,
        textSha256: await sha256Hex(text),
        text,
        source: via === 'server' ? 'edge' : 'browser',
        latencyMs: latency,
        ...(p.tokenStats ? { tokens: p.tokenStats.tokens, unknownShare: p.tokenStats.unknownShare } : {}),
        syncState: via === 'server' ? 'synced' : 'pending',
      });
    }
    await this.#store.addMany(rows);
    await this.refreshHistory();
    void this.syncNow();
    void this.#persistStorage();
    return rows.length;
  }

  /** Asks the browser once to keep the model and the history under storage pressure. */
  async #persistStorage(): Promise<void> {
    if (this.#persistAsked || !navigator.storage?.persist) return;
    this.#persistAsked = true;
    try {
      this.persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    } catch {
      this.persisted = false;
    }
  }

  /** Deletes a row from this device; returns it, so that "Undo" can put it back (restoreRecord). */
  async deleteRecord(id: string): Promise<LocalHistoryRecord | null> {
    const row = this.history.find((h) => h.id === id) ?? null;
    await this.#store?.delete(id);
    await this.refreshHistory();
    return row;
  }

  /** Puts a deleted row back as it was (same id, time, sync state and correction). */
  async restoreRecord(row: LocalHistoryRecord): Promise<void> {
    await this.#store?.add(row);
    await this.refreshHistory();
    if (row.syncState === 'pending' || row.feedback?.state === 'pending') void this.syncNow();
  }

  /** Every row on this device, newest first (for export). */
  async allHistory(): Promise<LocalHistoryRecord[]> {
    return (await this.#store?.all()) ?? [];
  }

  async refreshHistory(filter: HistoryFilter = this.historyFilter): Promise<void> {
    if (!this.#store) return;
    this.historyFilter = filter;
    const [items, counts, labels] = await Promise.all([this.#store.list(filter), this.#store.counts(), this.#store.labels()]);
    this.history = items;
    this.historyCounts = counts;
    this.historyLabels = labels;
  }

  async syncNow(): Promise<void> {
    if (!this.#sync || !navigator.onLine) return;
    try {
      const r = await this.#sync.sync();
      // Corrections go after the rows they correct are on the server.
      const f = await this.#feedbackSync?.sync();
      const parts = [];
      if (f?.rejected) parts.push(`${plural(f.rejected, 'correction')} ${f.rejected === 1 ? 'was' : 'were'} not accepted by the server.`);
      if (r.sent > 0) parts.push(`Synced ${plural(r.sent, 'prediction')} to the server.`);
      if (r.rejected > 0) parts.push(`${plural(r.rejected, 'prediction')} ${r.rejected === 1 ? 'was' : 'were'} refused by the server and kept only on this device.`);
      if (parts.length) this.syncMessage = parts.join(' ');
      else if (this.#syncFailed) this.syncMessage = null;
      this.#syncFailed = false;
      this.#retry.succeeded();
    } catch (e) {
      const why = e instanceof ApiError && e.code !== 'network_error' ? plainDetail(e.message) : 'the server cannot be reached';
      this.syncMessage = `Your predictions are saved on this device and will be sent when the server can be reached (${why}). Trying again automatically.`;
      this.#syncFailed = true;
      this.#retry.failed();
    }
    await this.refreshHistory();
  }

  /** The user says `label` is right for history row `id` ("wrong? pick the right label"): saved here, sent by the next sync. */
  async correct(id: string, label: string): Promise<void> {
    await this.#store?.setFeedback(id, label);
    await this.refreshHistory();
    void this.syncNow();
  }

  async clearHistory(): Promise<void> {
    await this.#store?.clear();
    this.#retry.cancel();
    if (this.#syncFailed) this.syncMessage = null;
    this.#syncFailed = false;
    await this.refreshHistory();
  }

  /** The model card (README.md) of a version: from the device cache, else from the registry. */
  async modelCard(m: Manifest): Promise<string | null> {
    if (!m.files.some((f) => f.path === MODEL_LAYOUT.card)) return null;
    try {
      const cache = await caches.open(MODEL_CACHE);
      const hit = await cachedText(cache, fileUrl(this.baseUrl, m.name, m.version, MODEL_LAYOUT.card));
      if (hit !== null) return hit;
      return new TextDecoder().decode(await this.client.downloadFile(m.name, m.version, MODEL_LAYOUT.card));
    } catch {
      return null;
    }
  }

  /**
   * The bytes this device keeps (or would keep) for a version: the files the browser loads for the backend
   * in use (the int8 graph on WASM when the version ships one), not the whole published version.
   */
  deviceBytes(m: Manifest): number {
    const backend = this.engine.backend === 'webgpu' ? 'webgpu' : 'wasm';
    try {
      return filesFor(m, backend).reduce((s, f) => s + f.bytes, 0);
    } catch {
      return m.bytes;
    }
  }

  async isOnDevice(m: Manifest): Promise<boolean> {
    try {
      return await isCached(await caches.open(MODEL_CACHE), this.baseUrl, m, this.engine.backend === 'webgpu' ? 'webgpu' : 'wasm');
    } catch {
      return false;
    }
  }
}
