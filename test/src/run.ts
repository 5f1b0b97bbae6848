/**
 * Runs a command (a pnpm script, the registry CLI) without blocking the event loop. A spawnSync of tens of
 * seconds stops the test's own process meanwhile: undici keeps a keep-alive socket the Worker closes in
 * that time, and the next request fails with "fetch failed"; and with test files running side by side,
 * a blocked process answers nothing (its browser, its local servers).
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@sentiment-edge/worker/local';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `pnpm ARGS` in the repository root. */
export function pnpm(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return run('pnpm', args, { env });
}

/** The registry CLI (`pnpm --silent registry ARGS`) against a local Worker. */
export function registryCli(worker: { url: string; token: string }, ...args: string[]): Promise<RunResult> {
  return pnpm(['--silent', 'registry', ...args], { ...process.env, REGISTRY_URL: worker.url, REGISTRY_TOKEN: worker.token });
}
