/** What the training CLIs share: argument parsing with its usage text and model sources (usage errors and exit codes: @sentiment-edge/registry/node). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Manifest } from '@sentiment-edge/registry';
import { downloadModel, registryFromEnv, UsageError } from '@sentiment-edge/registry/node';
import { REPO_ROOT, userPath } from '../paths.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags (plus --help); --help prints the usage and exits 0. */
export function cliArgs<O extends Options>(options: O, usage: string): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
}

/**
 * A model given as a directory in Hugging Face layout, or as NAME@VERSION / NAME@ALIAS in the registry
 * (downloaded once, sha256-verified, into models/.cache/NAME@VERSION).
 */
export async function resolveModelDir(ref: string, registry?: string): Promise<{ dir: string; manifest: Manifest | null }> {
  const dir = userPath(ref);
  if (existsSync(join(dir, 'config.json'))) return { dir, manifest: null };
  if (!/^[^/\\]+@[^/\\]+$/.test(ref)) throw new UsageError(`${ref}: no config.json in ${dir}, and it is not NAME@VERSION or NAME@ALIAS`);
  const client = registryFromEnv({ registry });
  const manifest = await client.resolve(ref);
  const cache = join(REPO_ROOT, 'models', '.cache', `${manifest.name}@${manifest.version}`);
  if (!existsSync(join(cache, 'manifest.json'))) await downloadModel(client, `${manifest.name}@${manifest.version}`, cache);
  return { dir: cache, manifest };
}
