// Bindings visible to tests through `env` (cloudflare:workers): the Worker's own (generated from wrangler.toml
// into src/worker-configuration.d.ts) plus the migrations, the optional secrets and the test models.
import type { D1Migration } from 'cloudflare:test';
import type { TinyModelFixtures } from './tiny-model.ts';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      READ_TOKEN?: string;
      METRICS_TOKEN?: string;
      /** The real tiny models built Node-side (vitest.config.ts); only in the `worker` project. */
      TINY_MODELS: TinyModelFixtures;
    }
  }
}
