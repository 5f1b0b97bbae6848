/**
 * The UI side of the inference worker: typed requests, progress callbacks and cancellation via AbortSignal.
 */
import {
  assertNever,
  InferenceError,
  type MainToWorker,
  type ProgressMessage,
  type Replies,
  type WorkerToMain,
} from './messages.ts';

/** What the bridge needs from a Worker (so tests can pass a fake). */
export interface WorkerLike {
  postMessage(msg: MainToWorker): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent<WorkerToMain>) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
}

type RequestOf<K extends keyof Replies> = Omit<Extract<MainToWorker, { type: K }>, 'id'>;

interface Pending {
  resolve(v: WorkerToMain): void;
  reject(e: Error): void;
  onProgress: ((p: ProgressMessage) => void) | undefined;
}

export class InferenceBridge {
  #worker: WorkerLike;
  #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(worker: WorkerLike) {
    this.#worker = worker;
    worker.onmessage = (ev) => this.#onMessage(ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.#failAll(new InferenceError('load', `the inference worker crashed: ${ev.message || 'unknown error'}`));
    };
  }

  call<K extends keyof Replies>(
    request: RequestOf<K>,
    opts: { signal?: AbortSignal; onProgress?: (p: ProgressMessage) => void } = {},
  ): Promise<Replies[K]> {
    const id = this.#nextId++;
    const { signal, onProgress } = opts;
    if (signal?.aborted) return Promise.reject(new InferenceError('cancelled', 'cancelled'));
    return new Promise<Replies[K]>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        this.#worker.postMessage({ type: 'cancel', id });
        reject(new InferenceError('cancelled', 'cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as Replies[K]);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        onProgress,
      });
      this.#worker.postMessage({ ...request, id } as MainToWorker);
    });
  }

  terminate(): void {
    this.#worker.terminate();
    this.#failAll(new InferenceError('cancelled', 'the inference worker was stopped'));
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #onMessage(msg: WorkerToMain): void {
    const p = this.#pending.get(msg.id);
    if (!p) return; // a cancelled request's late answer
    switch (msg.type) {
      case 'progress':
        p.onProgress?.(msg);
        return;
      case 'loaded':
      case 'result':
      case 'explained':
        this.#pending.delete(msg.id);
        p.resolve(msg);
        return;
      case 'error':
        this.#pending.delete(msg.id);
        p.reject(new InferenceError(msg.code, msg.message));
        return;
      default:
        assertNever(msg);
    }
  }
}
