import { MODEL_LAYOUT, type Manifest, type PredictOneResponse } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import type { WorkerLike } from './bridge.ts';
import { EngineModel, type EngineDeps } from './engine.svelte.ts';
import type { MainToWorker, WorkerToMain } from './messages.ts';

const manifest = { name: 'sentiment', version: 3, labels: ['negative', 'positive'], files: [], bytes: 10 } as unknown as Manifest;

/**
 * An inference worker that answers `load` as told, every `predict` with "positive", and every `explain` with an
 * occlusion of `explainedLabel` (held back while `holdExplain` is set, so a test can cancel it first).
 */
class FakeWorker implements WorkerLike {
  sent: MainToWorker[] = [];
  onmessage: ((ev: MessageEvent<WorkerToMain>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  explainedLabel = 'positive';
  holdExplain = false;
  constructor(private readonly load: 'ok' | 'integrity' | 'offline_no_model') {}
  postMessage(m: MainToWorker) {
    this.sent.push(m);
    const reply = (r: WorkerToMain) => queueMicrotask(() => this.onmessage?.({ data: r } as MessageEvent<WorkerToMain>));
    if (m.type === 'load') {
      reply({ type: 'progress', id: m.id, phase: 'download', done: 1, total: 2 });
      if (this.load === 'ok') reply({ type: 'loaded', id: m.id, backend: 'wasm', labels: ['negative', 'positive'], fromCache: true, loadMs: 12 });
      else reply({ type: 'error', id: m.id, code: this.load, message: 'sha256 of onnx/model.onnx does not match' });
    } else if (m.type === 'predict') {
      reply({ type: 'result', id: m.id, predictions: m.texts.map(() => ({ label: 'positive', score: 0.9, probabilities: { negative: 0.1, positive: 0.9 } })), latencyMs: 1 });
    } else if (m.type === 'explain' && !this.holdExplain) {
      reply({ type: 'explained', id: m.id, label: this.explainedLabel, why: { by: 'word', units: [{ start: 0, end: m.text.length, effect: 0.4 }] }, latencyMs: 30 });
    }
  }
  terminate() {
    this.terminated = true;
  }
}

function engine(load: 'ok' | 'integrity' | 'offline_no_model', over: Partial<EngineDeps> = {}) {
  const workers: FakeWorker[] = [];
  const serverCalls: string[] = [];
  const client = {
    predict: async (text: string, ref: string): Promise<PredictOneResponse> => {
      serverCalls.push(`${ref} ${text}`);
      return { id: 'srv-1', label: 'negative', score: 0.8, probabilities: { negative: 0.8, positive: 0.2 }, model: { name: 'sentiment', version: 3 }, latencyMs: 5 } as unknown as PredictOneResponse;
    },
    predictMany: async (texts: string[]) => ({ predictions: texts.map(() => ({ label: 'negative', score: 0.8, probabilities: { negative: 0.8, positive: 0.2 } })) }),
  } as unknown as EngineDeps['client'];
  const e = new EngineModel({
    baseUrl: 'http://test',
    params: new URLSearchParams('backend=wasm'),
    client,
    isOnline: () => true,
    manifest: () => manifest,
    choosing: () => Promise.resolve(),
    newWorker: () => {
      const w = new FakeWorker(load);
      workers.push(w);
      return w;
    },
    ...over,
  });
  return { e, workers, serverCalls };
}

describe('EngineModel', () => {
  it('loads a version in a fresh worker and predicts in the browser', async () => {
    const { e, workers, serverCalls } = engine('ok');
    expect(e.state.status).toBe('starting');
    const loading = e.load(manifest);
    expect(e.state.status).toBe('loading');
    await loading;
    expect(e.state).toMatchObject({ status: 'ready', backend: 'wasm', labels: ['negative', 'positive'], fromCache: true, loadMs: 12, failure: null, progress: null });
    const sent = workers[0]!.sent[0]!;
    expect(sent).toMatchObject({ type: 'load', baseUrl: 'http://test', preferWebGPU: false, simulateFailure: false });
    const r = await e.predict('great');
    expect(r).toMatchObject({ label: 'positive', via: 'wasm', model: { name: 'sentiment', version: 3 } });
    expect(serverCalls).toEqual([]);
    const progress: number[] = [];
    expect((await e.predictMany(['a', 'b'], (done) => progress.push(done))).map((p) => p.label)).toEqual(['positive', 'positive']);
    expect(progress.at(-1)).toBe(2);
    // A second load starts a new worker and ends the old one.
    await e.load(manifest);
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
  });

  it('answers first (one classification, no "why"), then explains on its own request; a newer text cancels it', async () => {
    const { e, workers } = engine('ok');
    await e.load(manifest);
    const w = workers[0]!;
    const r = await e.predict('great');
    expect(r.why).toBeUndefined();
    expect(w.sent.at(-1)).toMatchObject({ type: 'predict', texts: ['great'], live: true });
    expect(await e.explain('great', r.label)).toEqual({ by: 'word', units: [{ start: 0, end: 5, effect: 0.4 }] });
    expect(w.sent.at(-1)).toMatchObject({ type: 'explain', text: 'great' });
    // The explaining run found another label (a near tie): no explanation of a label that is not shown.
    w.explainedLabel = 'negative';
    expect(await e.explain('great', 'positive')).toBeNull();
    // Aborted (a newer text): rejected as cancelled, and the worker is told to stop.
    w.holdExplain = true;
    const ctl = new AbortController();
    const pending = e.explain('great', 'positive', ctl.signal);
    ctl.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    const asked = w.sent.at(-2)!;
    expect(asked).toMatchObject({ type: 'explain', text: 'great' });
    expect(w.sent.at(-1)).toEqual({ type: 'cancel', id: asked.id });
  });

  it('falls back to the server when the model cannot be used here and the server can be reached', async () => {
    const { e, serverCalls } = engine('integrity');
    await e.load(manifest);
    expect(e.state.status).toBe('server');
    expect(e.state.backend).toBe('server');
    expect(e.state.failure).toBe('integrity');
    expect(e.state.message).toBe('The model was refused: sha256 of onnx/model.onnx does not match Predictions are made by the server instead (your text is sent to it).');
    const r = await e.predict('awful');
    expect(r).toMatchObject({ label: 'negative', via: 'server', serverId: 'srv-1' });
    expect(serverCalls).toEqual(['sentiment@3 awful']);
    // The server's /predict has no occlusion: no "why" for its answers, and nothing is asked of a worker.
    expect(await e.explain('awful', 'negative')).toBeNull();
    expect((await e.predictMany(['x'], () => undefined)).map((p) => p.label)).toEqual(['negative']);
  });

  it('offline without the model stored: unavailable, with why', async () => {
    const { e } = engine('offline_no_model', { isOnline: () => false });
    await e.load(manifest);
    expect(e.state.status).toBe('unavailable');
    expect(e.state.backend).toBeNull();
    expect(e.state.message).toContain('You are offline and sentiment v3 is not stored on this device yet');
    await expect(e.predict('hello')).rejects.toThrow('You are offline and sentiment v3');
    e.unavailable(new Error('no champion'));
    expect(e.state.message).toContain('You are offline and no model is stored on this device yet');
  });

  it('no version chosen: says the server has none yet', async () => {
    const { e } = engine('ok', { manifest: () => null });
    e.unavailable(new Error('model not found'));
    expect(e.state).toMatchObject({ status: 'unavailable', failure: 'offline_no_model' });
    expect(e.state.message).toMatch(/^No model is available from the server yet \(.+\)\. Try again later\.$/);
    await expect(e.predict('hello')).rejects.toThrow('No model is available from the server yet');
  });

  it('counts the bytes the backend in use loads (the int8 graph on WASM), else the whole version', async () => {
    const { e } = engine('ok');
    const f = (path: string, bytes: number) => ({ path, sha256: 'a'.repeat(64), bytes });
    const files = [f(MODEL_LAYOUT.config, 1), f(MODEL_LAYOUT.tokenizer, 20), f(MODEL_LAYOUT.tokenizerConfig, 2), f(MODEL_LAYOUT.onnx, 400), f(MODEL_LAYOUT.onnxQuantized, 100)];
    await e.load(manifest);
    expect(e.deviceBytes({ ...manifest, bytes: 523, files } as unknown as Manifest)).toBe(123);
    expect(e.deviceBytes({ ...manifest, bytes: 523, files: files.slice(3) } as unknown as Manifest)).toBe(523);
  });
});
