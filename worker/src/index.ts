/** Worker entry point: wires the app; everything else lives in app.ts and the modules it imports. */
import { buildApp } from './app.ts';
import type { Env } from './env.ts';

const app = buildApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
