/**
 * Starts the real Worker locally on a free port, with its own fresh local D1 and R2 (a temporary
 * --persist-to directory) and the migrations applied exactly as production applies them:
 * - `startLocalWorker`: `wrangler dev` (its proxy worker sits in front of the Worker);
 * - `startLocalWorkerd`: the bundle `wrangler deploy --dry-run` produces, run by Miniflare directly in
 *   workerd (no dev proxy), over the same D1/R2 storage layout: "local workerd" as the targets mean it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  /** startLocalWorkerd: open workerd's V8 inspector on this port (CPU profiles: bench/profile-predict.ts). */
  inspectorPort?: number;
  /** startLocalWorker: wrangler dev --test-scheduled, so `GET /__scheduled` runs the Cron handler (the monitoring job). */
  testScheduled?: boolean;
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

/** The part of miniflare's API used here (miniflare is wrangler's dependency, not ours: no types). */
interface MiniflareModule {
  Miniflare: new (options: Record<string, unknown>) => { ready: Promise<URL>; dispose(): Promise<void> };
  Log: new (level: number) => unknown;
  LogLevel: { WARN: number };
}

/** The `[[d1_databases]]`/`[[r2_buckets]]` ids of wrangler.toml (wrangler dev keys local storage by them). */
function storageIds(): { d1: string; r2: string } {
  const toml = readFileSync(CONFIG, 'utf8');
  const d1 = /\[\[d1_databases\]\][^[]*?database_id\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  const r2 = /\[\[r2_buckets\]\][^[]*?bucket_name\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  if (!d1 || !r2) throw new Error(`cannot read the D1 database_id / R2 bucket_name from ${CONFIG}`);
  return { d1, r2 };
}

/** Bundles the Worker as production does (`wrangler deploy --dry-run --outdir`). */
export function bundleWorker(outDir: string): { main: string; wasm: string[] } {
  const r = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outDir, '--config', CONFIG], {
    cwd: REPO_ROOT,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { main: join(outDir, 'index.js'), wasm: readdirSync(outDir).filter((f) => f.endsWith('.wasm')) };
}

/**
 * Runs the bundled Worker in workerd through Miniflare (the one wrangler itself uses), without
 * wrangler dev's proxy: requests go straight to workerd's socket. Local D1/R2 live under the same
 * `v3/d1`, `v3/r2` layout as `wrangler dev --persist-to`, so `applyMigrations` prepares them.
 * Static assets are not served (the API routes do not need them).
 */
export async function startLocalWorkerd(opts: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const token = opts.token ?? 'test-token';
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), 'sentiment-edge-'));
  const bundleDir = mkdtempSync(join(tmpdir(), 'sentiment-edge-bundle-'));
  const cleanup = () => {
    rmSync(bundleDir, { recursive: true, force: true });
    if (!opts.persistDir) rmSync(persistDir, { recursive: true, force: true });
  };
  try {
    applyMigrations(persistDir);
    const { main, wasm } = bundleWorker(bundleDir);
    // miniflare is wrangler's dependency (same version wrangler dev runs).
    const { Miniflare, Log, LogLevel } = (await import(pathToFileURL(createRequire(realpathSync(join(REPO_ROOT, 'worker/node_modules/wrangler/package.json'))).resolve('miniflare')).href)) as MiniflareModule;
    const toml = readFileSync(CONFIG, 'utf8');
    const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
    const vars = Object.fromEntries([...toml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0]?.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm) ?? []].map((m) => [m[1]!, m[2]!]));
    const { d1, r2 } = storageIds();
    // The [[ratelimits]] bindings, as wrangler dev runs them.
    const ratelimits = Object.fromEntries(
      [...toml.matchAll(/\[\[ratelimits\]\][^[]*?name\s*=\s*"(\w+)"[^[]*?namespace_id\s*=\s*"(\w+)"[^[]*?simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/g)].map((m) => [
        m[1]!,
        { type: 'rate-limit', namespace: m[2]!, simple: { limit: Number(m[3]), period: Number(m[4]) } },
      ]),
    );
    const port = await freePort();
    const started = performance.now();
    const mf = new Miniflare({
      host: '127.0.0.1',
      port,
      ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
      log: new Log(LogLevel.WARN),
      // No network here: a placeholder Request.cf instead of fetching it; no dev registry, no request log.
      cf: false,
      enableDevRegistry: false,
      logRequests: false,
      // As wrangler dev: every resource persists under <persist-to>/v3/<plugin>.
      resourcePersistencePath: join(persistDir, 'v3'),
      workers: [
        {
          config: {
            name: 'sentiment-edge',
            compatibilityDate: compatibilityDate!,
            // The entry point (ESM) and the compiled WebAssembly it imports, as the deploy bundle has them.
            manifest: {
              mainModule: 'index.js',
              modulesRoot: bundleDir,
              modules: {
                'index.js': { type: 'esm', contents: readFileSync(main, 'utf8') },
                ...Object.fromEntries(wasm.map((f) => [f, { type: 'wasm', contents: new Uint8Array(readFileSync(join(bundleDir, f))) }])),
              },
            },
            env: {
              ...Object.fromEntries(Object.entries({ ...vars, REGISTRY_TOKEN: token, ...opts.vars }).map(([k, value]) => [k, { type: 'text', value }])),
              DB: { type: 'd1', id: d1 },
              MODELS: { type: 'r2', name: r2 },
              ...ratelimits,
            },
          },
        },
      ],
    });
    const url = (await mf.ready).toString().replace(/\/$/, '');
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const res = await fetch(`${url}/health`).catch(() => null);
      if (res?.ok) break;
      if (Date.now() > deadline) throw new Error(`workerd (Miniflare) did not answer /health at ${url}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const startMs = performance.now() - started;
    return {
      url,
      token,
      persistDir,
      startMs,
      stop: async () => {
        await mf.dispose();
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export async function startLocalWorker(opts: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const token = opts.token ?? 'test-token';
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), 'sentiment-edge-'));
  applyMigrations(persistDir);
  const vars = { REGISTRY_TOKEN: token, ...opts.vars };
  const started = performance.now();
  // freePort() releases the port before wrangler binds it, so a process starting beside us can take it in
  // between: then wrangler exits with "Address already in use" and we try again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    const [port, inspector] = [await freePort(), await freePort()];
    const args = ['dev', '--config', CONFIG, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)];
    args.push('--persist-to', persistDir, '--local', '--show-interactive-dev-session=false', '--log-level', 'warn');
    for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
    if (opts.testScheduled) args.push('--test-scheduled');
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
    const stop = async () => {
      await kill(child);
      if (!opts.persistDir) rmSync(persistDir, { recursive: true, force: true });
    };
    try {
      await waitForHealth(url, child, () => log, opts.timeoutMs ?? 60_000);
      return { url, token, persistDir, startMs: performance.now() - started, stop };
    } catch (e) {
      await kill(child);
      if (attempt < 3 && log.includes('Address already in use')) continue;
      await stop();
      throw e;
    }
  }
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
