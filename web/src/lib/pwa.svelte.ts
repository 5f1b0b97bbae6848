/**
 * Service-worker registration (vite-plugin-pwa, workbox precache of the app shell + WASM runtime).
 * A new version is announced and applied only when the user asks: never swapped mid-task.
 */
import { registerSW } from 'virtual:pwa-register';

export class PwaState {
  updateAvailable = $state.raw(false);
  offlineReady = $state.raw(false);
  #update: ((reload?: boolean) => Promise<void>) | null = null;

  start(): void {
    if (!('serviceWorker' in navigator)) return;
    // Registered on the window's load event (not at once): installing the service worker fetches the whole
    // app shell and the 14 MB WASM runtime again, which should not compete with the first paint and the model load.
    this.#update = registerSW({
      immediate: false,
      onNeedRefresh: () => (this.updateAvailable = true),
      onOfflineReady: () => (this.offlineReady = true),
    });
  }

  async applyUpdate(): Promise<void> {
    await this.#update?.(true);
  }

  dismiss(): void {
    this.updateAvailable = false;
  }
}
