// Once per `vitest run` in test/: build the PWA the local Worker serves as static assets (wrangler
// refuses to start without web/dist), so every suite runs against the current app on a fresh checkout.
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '@sentiment-edge/worker/local';

export default function setup(): void {
  const r = spawnSync('pnpm', ['--filter', '@sentiment-edge/web', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('building web/ failed: run `pnpm --filter @sentiment-edge/web build` to see why');
}
