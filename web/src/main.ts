import { mount } from 'svelte';
import App from './App.svelte';
import { AppModel } from './lib/app.svelte.ts';
import { PwaState } from './lib/pwa.svelte.ts';
import { InstallState } from './lib/install.svelte.ts';
import './app.css';

const app = new AppModel();
const pwa = new PwaState();
const install = new InstallState();
install.start();
// Start the model load (inference worker) before mounting the UI, so the two overlap.
void app.init();
mount(App, { target: document.getElementById('app')!, props: { app, pwa, install } });
pwa.start();
// For tests and debugging in the console: the engine's state, the history, and one prediction (then its "why") as the main screen makes it.
(globalThis as unknown as { sentimentEdge: unknown }).sentimentEdge = {
  get engine() {
    return app.engine.state;
  },
  get history() {
    return app.history.rows;
  },
  get historyCounts() {
    return app.history.counts;
  },
  predict: (text: string) => app.engine.predict(text),
  /** "Why this label" for an answer `predict` gave (null on the server fallback). */
  explain: (text: string, label: string) => app.engine.explain(text, label),
};
