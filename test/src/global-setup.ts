// Once per `vitest run` in test/, before any file:
// - build the PWA the local Worker serves as static assets (wrangler refuses to start without web/dist),
//   so every suite runs against the current app on a fresh checkout;
// - meanwhile, train the tiny models several files share (src/tiny-models.ts) into one directory.
// Both projects of vitest.config.ts name this file; the work is done once (the first call's promise is kept).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '@sentiment-edge/worker/local';
import { buildSharedTinyModels } from './tiny-models.ts';

function buildWeb(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['--filter', '@sentiment-edge/web', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (status) => (status === 0 ? resolve() : reject(new Error('building web/ failed: run `pnpm --filter @sentiment-edge/web build` to see why'))));
  });
}

interface Shared {
  ready: Promise<string>;
}
const KEY = Symbol.for('sentiment-edge.test.global-setup');
const state = globalThis as unknown as { [KEY]?: Shared };

export default async function setup(project: TestProject): Promise<() => void> {
  const shared = (state[KEY] ??= {
    ready: (async () => {
      const web = buildWeb();
      // Training is synchronous: the build runs in its own process meanwhile.
      const dir = mkdtempSync(join(tmpdir(), 'test-tiny-models-'));
      try {
        buildSharedTinyModels(dir);
        await web;
      } catch (e) {
        await web.catch(() => {});
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      return dir;
    })(),
  });
  const dir = await shared.ready;
  project.provide('tinyModelsDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
