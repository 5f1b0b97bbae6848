/**
 * Whether the app's server can be reached. `navigator.onLine` alone is not enough: it says true whenever
 * the device has any network interface (a captive portal, a dead uplink), and Chromium reports true in a
 * page its service worker served after the connection went away, with no `online` event when it comes
 * back. So the app also asks its own server: `/live` answers from the isolate, never from the service
 * worker's caches. A network error means offline; while offline it asks again every `retryMs` and, when an
 * answer arrives, reports online once (what the `online` event would have done). Any HTTP answer, even an
 * error status, means the server is reachable.
 */
export interface ReachabilityOptions {
  /** One request to the server: resolves when anything answered, rejects on a network error. */
  probe: () => Promise<unknown>;
  /** Called on each change, with the new state. */
  onChange: (online: boolean) => void;
  /** How long to wait between probes while offline (ms). */
  retryMs?: number;
}

export const RETRY_MS = 5000;

export class Reachability {
  #online: boolean;
  #opts: ReachabilityOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #probing: Promise<void> | null = null;

  constructor(initial: boolean, opts: ReachabilityOptions) {
    this.#online = initial;
    this.#opts = opts;
  }

  get online(): boolean {
    return this.#online;
  }

  /** The browser's `online` / `offline` events, or what a request saw: sets the state, probing while offline. */
  set(online: boolean): void {
    if (online !== this.#online) {
      this.#online = online;
      this.#opts.onChange(online);
    }
    if (online) this.#stop();
    else this.#schedule();
  }

  /** Asks the server now (one probe at a time) and sets the state from the answer. */
  check(): Promise<void> {
    this.#probing ??= this.#opts
      .probe()
      .then(
        () => this.set(true),
        () => this.set(false),
      )
      .finally(() => (this.#probing = null));
    return this.#probing;
  }

  /** Stops probing (the page is going away, or tests). */
  stop(): void {
    this.#stop();
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.check();
    }, this.#opts.retryMs ?? RETRY_MS);
  }

  #stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** The probe the app uses: GET /live, never from a cache. */
export function liveProbe(baseUrl: string): () => Promise<Response> {
  return () => fetch(`${baseUrl}/live`, { cache: 'no-store' });
}
