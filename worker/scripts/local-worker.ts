/**
 * Starts the real Worker with `wrangler dev` on a free port, with its own fresh local D1 and R2
 * (a temporary --persist-to directory) and the migrations applied exactly as production applies them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@sentiment-edge/registry/node';

export { REPO_ROOT };

const WRANGLER = join(REPO_ROOT, 'worker/node_modules/.bin/wrangler');
const CONFIG = join(REPO_ROOT, 'wrangler.toml');

export interface LocalWorker {
  url: string;
  /** Milliseconds from spawning wrangler dev to the first healthy /health. */
  startMs: number;
  token: string;
  persistDir: string;
  stop(): Promise<void>;
}

export interface LocalWorkerOptions {
  token?: string;
  /** Extra `--var KEY:VALUE` pairs. */
  vars?: Record<string, string>;
  /** Reuse a state directory (e.g. to restart the Worker over the same D1/R2). */
  persistDir?: string;
  timeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export function applyMigrations(persistDir: string): void {
  const r = spawnSync(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir, '--config', CONFIG], {
    cwd: REPO_ROOT,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`wrangler d1 migrations apply failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export async function startLocalWorker(opts: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const token = opts.token ?? 'test-token';
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), 'sentiment-edge-'));
  applyMigrations(persistDir);
  const [port, inspector] = [await freePort(), await freePort()];
  const vars = { REGISTRY_TOKEN: token, ...opts.vars };
  const args = ['dev', '--config', CONFIG, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)];
  args.push('--persist-to', persistDir, '--local', '--show-interactive-dev-session=false', '--log-level', 'warn');
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child = spawn(WRANGLER, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const stop = async () => {
    await kill(child);
    if (!opts.persistDir) rmSync(persistDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, () => log, opts.timeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, token, persistDir, startMs: performance.now() - started, stop };
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not answer /health within ${timeoutMs} ms:\n${log()}`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM'); // the whole group: wrangler and its workerd
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}
