import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256Hex, type RegistryClient } from '../client.ts';
import type { Manifest } from '../manifest.ts';

/** Downloads every file of a version into `dir`, refusing any whose sha256 differs from the manifest. */
export async function downloadModel(client: RegistryClient, ref: string, dir: string, onFile?: (path: string) => void): Promise<Manifest> {
  const manifest = await client.resolve(ref);
  for (const f of manifest.files) {
    const bytes = await client.downloadFile(manifest.name, manifest.version, f.path);
    const got = await sha256Hex(bytes);
    if (got !== f.sha256) throw new Error(`${f.path}: sha256 ${got} does not match the manifest's ${f.sha256}; not written`);
    const target = join(dir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
    onFile?.(f.path);
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
