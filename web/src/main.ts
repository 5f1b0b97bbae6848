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
// For tests and debugging in the console.
(globalThis as unknown as { sentimentEdge: AppModel }).sentimentEdge = app;
