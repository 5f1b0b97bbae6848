/** Worker entry point: wires the app; everything else lives in app.ts and the modules it imports. */
import { buildApp } from './app.ts';
import type { Env } from './env.ts';
import { noteRequest } from './serving/metrics.ts';

const app = buildApp();

export default {
  fetch: (request, env, ctx) => {
    noteRequest();
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
