import { describe, expect, it } from 'vitest';
import { InferenceBridge, type WorkerLike } from './bridge.ts';
import { InferenceError, type MainToWorker, type WorkerToMain } from './messages.ts';

class FakeWorker implements WorkerLike {
  sent: MainToWorker[] = [];
  onmessage: ((ev: MessageEvent<WorkerToMain>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  postMessage(m: MainToWorker) {
    this.sent.push(m);
  }
  terminate() {
    this.terminated = true;
  }
  reply(m: WorkerToMain) {
    this.onmessage?.({ data: m } as MessageEvent<WorkerToMain>);
  }
}

describe('InferenceBridge', () => {
  it('routes progress and the result to the right request', async () => {
    const w = new FakeWorker();
    const b = new InferenceBridge(w);
    const progress: number[] = [];
    const p = b.call<'predict'>({ type: 'predict', texts: ['a', 'b'] }, { onProgress: (m) => progress.push(m.done) });
    const id = w.sent[0]!.id;
    w.reply({ type: 'progress', id, phase: 'predict', done: 1, total: 2 });
    w.reply({ type: 'result', id: id + 99, predictions: [], latencyMs: 0 }); // someone else's: ignored
    w.reply({ type: 'result', id, predictions: [{ label: 'x', score: 1, probabilities: { x: 1 } }], latencyMs: 3 });
    expect((await p).predictions[0]!.label).toBe('x');
    expect(progress).toEqual([1]);
  });

  it('turns worker errors into InferenceError with the code', async () => {
    const w = new FakeWorker();
    const p = new InferenceBridge(w).call<'load'>({ type: 'load', baseUrl: '', manifest: {} as never, preferWebGPU: false });
    w.reply({ type: 'error', id: w.sent[0]!.id, code: 'integrity', message: 'bad sha' });
    await expect(p).rejects.toMatchObject({ code: 'integrity', message: 'bad sha' });
  });

  it('cancels through an AbortSignal and tells the worker', async () => {
    const w = new FakeWorker();
    const ctl = new AbortController();
    const p = new InferenceBridge(w).call<'predict'>({ type: 'predict', texts: ['a'] }, { signal: ctl.signal });
    ctl.abort();
    await expect(p).rejects.toBeInstanceOf(InferenceError);
    expect(w.sent.at(-1)).toEqual({ type: 'cancel', id: w.sent[0]!.id });
  });

  it('fails pending requests when the worker crashes', async () => {
    const w = new FakeWorker();
    const p = new InferenceBridge(w).call<'predict'>({ type: 'predict', texts: ['a'] });
    w.onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent);
    await expect(p).rejects.toMatchObject({ code: 'load' });
  });
});
