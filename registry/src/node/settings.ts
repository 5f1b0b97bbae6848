/** Where Node tools (registry CLI, training CLIs, tests) find the registry: flags, then environment, then .dev.vars. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { RegistryClient } from '../client.ts';

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8787';

/** The repository root (registry/src/node → ../../..). */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** Paths on the command line are relative to where the user typed the command, not to the package pnpm ran in. */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Reads KEY=VALUE lines of the repo's .dev.vars (the local secrets file wrangler dev reads). */
export function readDevVars(file = join(REPO_ROOT, '.dev.vars')): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) out[m[1]!] = m[2]!;
  }
  return out;
}

export function registryFromEnv(flags: { registry?: string | undefined; token?: string | undefined } = {}): RegistryClient {
  const baseUrl = flags.registry ?? process.env.REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
  const token = flags.token ?? process.env.REGISTRY_TOKEN ?? readDevVars().REGISTRY_TOKEN;
  return new RegistryClient({ baseUrl, ...(token ? { token } : {}) });
}
