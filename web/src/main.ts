import { mount } from 'svelte';
import App from './App.svelte';
import { AppModel } from './lib/app.svelte.ts';
import { PwaState } from './lib/pwa.svelte.ts';
import './app.css';

const app = new AppModel();
const pwa = new PwaState();
mount(App, { target: document.getElementById('app')!, props: { app, pwa } });
pwa.start();
void app.init();
// For tests and debugging in the console.
(globalThis as unknown as { sentimentEdge: AppModel }).sentimentEdge = app;
