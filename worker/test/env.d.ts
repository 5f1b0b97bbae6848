// Bindings visible to tests through `env` (cloudflare:workers): the Worker's own plus the migrations.
import type { D1Migration } from 'cloudflare:test';
import type { Env as WorkerEnv } from '../src/env.ts';
import type { TinyModelFixtures } from './tiny-model.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      REGISTRY_TOKEN: string;
      /** The real tiny models built Node-side (vitest.config.ts); only in the `worker` project. */
      TINY_MODELS: TinyModelFixtures;
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index.ts');
    }
  }
}
