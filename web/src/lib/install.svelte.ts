/**
 * "Install app": keeps the browser's `beforeinstallprompt` event (Chromium) so a button can show the install
 * dialog when the user asks, and hides the button once the app is installed or runs as one.
 */
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export class InstallState {
  /** True while the browser offers installation. */
  available = $state.raw(false);
  installed = $state.raw(false);
  #event: InstallPromptEvent | null = null;

  start(): void {
    this.installed = matchMedia('(display-mode: standalone)').matches;
    addEventListener('beforeinstallprompt', (e) => {
      e.preventDefault(); // no mini-infobar: the app's own button offers it
      this.#event = e as InstallPromptEvent;
      this.available = true;
    });
    addEventListener('appinstalled', () => {
      this.#event = null;
      this.available = false;
      this.installed = true;
    });
  }

  async install(): Promise<void> {
    const e = this.#event;
    if (!e) return;
    await e.prompt();
    const choice = await e.userChoice;
    // A prompt event can be used once; the browser fires a new one if installing is still possible.
    this.#event = null;
    this.available = false;
    if (choice.outcome === 'accepted') this.installed = true;
  }
}
