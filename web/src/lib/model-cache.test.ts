import { sha256Hex, type Manifest, type ModelFile } from '@sentiment-edge/registry';
import { describe, expect, it } from 'vitest';
import { fileUrl, filesFor, IntegrityError, isCached, loadModelFiles, verifyFile, type CacheLike } from './model-cache.ts';

class MapCache implements CacheLike {
  store = new Map<string, Uint8Array>();
  async match(key: string) {
    const b = this.store.get(key);
    return b ? new Response(b as unknown as BodyInit) : undefined;
  }
  async put(key: string, res: Response) {
    this.store.set(key, new Uint8Array(await res.arrayBuffer()));
  }
  async delete(key: string) {
    return this.store.delete(key);
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const contents: Record<string, Uint8Array> = {
  'config.json': enc('{"id2label":{"0":"negative","1":"positive"}}'),
  'tokenizer.json': enc('{}'),
  'tokenizer_config.json': enc('{}'),
  'onnx/model.onnx': enc('fp32 graph'),
  'onnx/model_quantized.onnx': enc('int8 graph'),
  'README.md': enc('# card'),
};
async function manifest(): Promise<Manifest> {
  const files: ModelFile[] = [];
  for (const [path, b] of Object.entries(contents)) files.push({ path, bytes: b.byteLength, sha256: await sha256Hex(b) });
  return { name: 'sentiment', version: 3, files, labels: ['negative', 'positive'] } as unknown as Manifest;
}
const BASE = 'http://x.test';

describe('model files', () => {
  it('picks the int8 graph for WASM and fp32 for WebGPU', async () => {
    const m = await manifest();
    expect(filesFor(m, 'wasm').map((f) => f.path)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx', 'README.md']);
    expect(filesFor(m, 'webgpu').map((f) => f.path)).toContain('onnx/model.onnx');
    expect(() => filesFor({ files: m.files.filter((f) => f.path !== 'tokenizer.json') }, 'wasm')).toThrow(/tokenizer.json/);
  });

  it('verifies sha256 and size', async () => {
    const f = (await manifest()).files[0]!;
    await expect(verifyFile(f, contents[f.path]!, 'download')).resolves.toBeUndefined();
    const bad = contents[f.path]!.slice();
    bad[0] = bad[0]! ^ 1;
    await expect(verifyFile(f, bad, 'download')).rejects.toBeInstanceOf(IntegrityError);
  });

  it('downloads, verifies and caches; the second load comes from the cache', async () => {
    const m = await manifest();
    const cache = new MapCache();
    const downloads: string[] = [];
    const progress: number[] = [];
    const download = async (path: string, onBytes: (n: number) => void) => (downloads.push(path), onBytes(contents[path]!.byteLength), contents[path]!);
    const first = await loadModelFiles({ baseUrl: BASE, manifest: m, files: filesFor(m, 'wasm'), cache, download, onProgress: (p) => progress.push(p.done / p.total) });
    expect(first.fromCache).toBe(false);
    expect(downloads).toHaveLength(5);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect(cache.store.has(fileUrl(BASE, 'sentiment', 3, 'onnx/model_quantized.onnx'))).toBe(true);
    expect(fileUrl(BASE, 'sentiment', 3, 'onnx/model_quantized.onnx')).toBe('http://x.test/api/v1/models/sentiment/versions/3/files/onnx/model_quantized.onnx');
    expect(await isCached(cache, BASE, m)).toBe(true);
    const second = await loadModelFiles({ baseUrl: BASE, manifest: m, files: filesFor(m, 'wasm'), cache, download });
    expect(second.fromCache).toBe(true);
    expect(downloads).toHaveLength(5);
    expect(new TextDecoder().decode(second.files.get('README.md'))).toBe('# card');
  });

  it('refuses a corrupted download and does not cache it', async () => {
    const m = await manifest();
    const cache = new MapCache();
    const download = async (path: string) => (path.endsWith('.onnx') ? enc('tampered') : contents[path]!);
    const err = await loadModelFiles({ baseUrl: BASE, manifest: m, files: filesFor(m, 'wasm'), cache, download }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).path).toBe('onnx/model_quantized.onnx');
    expect((err as Error).message).toMatch(/does not match the model's manifest/);
    expect(cache.store.has(fileUrl(BASE, 'sentiment', 3, 'onnx/model_quantized.onnx'))).toBe(false);
  });

  it('refuses and removes a cached file that was corrupted on the device', async () => {
    const m = await manifest();
    const cache = new MapCache();
    const download = async (path: string) => contents[path]!;
    await loadModelFiles({ baseUrl: BASE, manifest: m, files: filesFor(m, 'wasm'), cache, download });
    const key = fileUrl(BASE, 'sentiment', 3, 'tokenizer.json');
    cache.store.set(key, enc('{"evil":true}'));
    const err = await loadModelFiles({ baseUrl: BASE, manifest: m, files: filesFor(m, 'wasm'), cache, download }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).where).toBe('cache');
    expect(cache.store.has(key)).toBe(false);
    expect(await isCached(cache, BASE, m)).toBe(false);
  });
});
