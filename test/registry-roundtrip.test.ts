// The registry client publishes a model directory into a running local Worker (real D1 + R2 in workerd)
// and downloads it back byte-identical.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, RegistryClient, type ManifestDraft } from '@sentiment-edge/registry';
import { downloadModel } from '@sentiment-edge/registry/node';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { registryCli } from './src/run.ts';

let worker: LocalWorker;
let dir: string;

function walk(root: string, d = root): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(root, join(d, e.name)) : [relative(root, join(d, e.name))]));
}

const sha = '0'.repeat(64);
const evaluation: ManifestDraft['evaluation'] = {
  dataset: { name: 'fixture.csv', sha256: sha, rows: 10 },
  accuracy: 0.9,
  macroF1: 0.9,
  macroRecall: 0.9,
  perClass: { negative: { precision: 0.9, recall: 0.9, f1: 0.9, support: 5 }, positive: { precision: 0.9, recall: 0.9, f1: 0.9, support: 5 } },
  confusion: [
    [4, 1],
    [0, 5],
  ],
};

beforeAll(async () => {
  worker = await startLocalWorker();
  dir = mkdtempSync(join(tmpdir(), 'tiny-model-'));
  mkdirSync(join(dir, 'onnx'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', id2label: { 0: 'negative', 1: 'positive' } }));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordPiece', vocab: { '[PAD]': 0 } } }));
  writeFileSync(join(dir, 'onnx/model.onnx'), randomBytes(300_000));
  writeFileSync(join(dir, 'onnx/model_quantized.onnx'), randomBytes(80_000));
});

afterAll(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('registry round trip through a running Worker', () => {
  it('publishes a directory and downloads it back byte-identical', async () => {
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const files = new Map(walk(dir).map((p) => [p, new Uint8Array(readFileSync(join(dir, p)))]));
    const manifest = await client.publish(
      { name: 'roundtrip', labels: ['negative', 'positive'], evaluation, training: { datasetSha256: sha, params: {}, seed: 1, durationMs: 1, parent: null } },
      files,
    );
    expect(manifest).toMatchObject({ name: 'roundtrip', version: 1, status: 'ready' });

    await client.setAlias('roundtrip', 'champion', { version: 1 });
    const out = mkdtempSync(join(tmpdir(), 'download-'));
    try {
      const got = await downloadModel(new RegistryClient({ baseUrl: worker.url }), 'roundtrip@champion', out);
      expect(got.version).toBe(1);
      for (const [p, bytes] of files) expect(Buffer.compare(readFileSync(join(out, p)), Buffer.from(bytes)), p).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses writes without the token and with a wrong one', async () => {
    const draft = { name: 'nope', labels: ['a', 'b'], files: [{ path: 'x.bin', sha256: sha, bytes: 1 }], evaluation: { ...evaluation, perClass: {} }, training: { datasetSha256: sha, params: {}, seed: 1, durationMs: 1, parent: null } };
    const anon = new RegistryClient({ baseUrl: worker.url });
    await expect(anon.createVersion(draft)).rejects.toMatchObject({ status: 401 });
    const wrong = new RegistryClient({ baseUrl: worker.url, token: 'wrong' });
    await expect(wrong.createVersion(draft)).rejects.toMatchObject({ status: 403 });
    await expect(anon.resolve('nope@champion')).rejects.toBeInstanceOf(ApiError);
  });

  it('the registry CLI lists, shows, moves aliases and downloads', async () => {
    const cli = (...args: string[]) => registryCli(worker, ...args);

    const list = await cli('list');
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/roundtrip\s+1\s+1\s+champion=1/);

    const info = await cli('info', 'roundtrip@champion', '--json');
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ name: 'roundtrip', version: 1, status: 'ready' });

    const set = await cli('set-alias', 'roundtrip', 'challenger', '1');
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/roundtrip@challenger → 1/);

    const out = mkdtempSync(join(tmpdir(), 'cli-download-'));
    try {
      const dl = await cli('download', 'roundtrip@challenger', out);
      expect(dl.status, dl.stderr).toBe(0);
      expect(readFileSync(join(out, 'onnx/model_quantized.onnx'))).toEqual(readFileSync(join(dir, 'onnx/model_quantized.onnx')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }

    const missing = await cli('info', 'roundtrip@9');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/404/);
    expect((await cli('set-alias', 'roundtrip', 'champion')).status).toBe(2);
  });

  it('`registry rollback` moves champion back to the previous version (compare-and-set), and again undoes it', async () => {
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const files = new Map(walk(dir).map((p) => [p, new Uint8Array(readFileSync(join(dir, p)))]));
    const training = { datasetSha256: sha, params: {}, seed: 2, durationMs: 1, parent: null };
    const v2 = await client.publish({ name: 'rollback', labels: ['negative', 'positive'], evaluation, training }, files);
    const v3 = await client.publish({ name: 'rollback', labels: ['negative', 'positive'], evaluation, training }, files);
    const cli = (...args: string[]) => registryCli(worker, ...args);

    await client.setAlias('rollback', 'champion', { version: v2.version });
    const first = await cli('rollback', 'rollback');
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/nothing to roll back to/);

    await client.setAlias('rollback', 'champion', { version: v3.version, reason: 'promoted' });
    const back = await cli('rollback', 'rollback');
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toContain(`rollback@champion: ${v3.version} → ${v2.version}`);
    expect((await client.getModel('rollback')).aliases.champion).toBe(v2.version);
    const { events } = await client.aliasHistory('rollback', 'champion');
    expect(events[0]).toMatchObject({ fromVersion: v3.version, toVersion: v2.version });
    expect(events[0]!.reason).toMatch(/rollback/);

    const again = await cli('rollback', 'rollback', 'champion', '--json');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ from: v2.version, to: v3.version });
    expect((await client.getModel('rollback')).aliases.champion).toBe(v3.version);
  });

  it('`registry canary`, `registry ab`, `registry rollback NAME canary` (version and share) and `registry end-canary`', async () => {
    const client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
    const files = new Map(walk(dir).map((p) => [p, new Uint8Array(readFileSync(join(dir, p)))]));
    const training = { datasetSha256: sha, params: {}, seed: 3, durationMs: 1, parent: null };
    const v1 = await client.publish({ name: 'canarycli', labels: ['negative', 'positive'], evaluation, training }, files);
    const v2 = await client.publish({ name: 'canarycli', labels: ['negative', 'positive'], evaluation, training }, files);
    await client.setAlias('canarycli', 'champion', { version: v1.version });
    const cli = (...args: string[]) => registryCli(worker, ...args);

    const start = await cli('canary', 'canarycli', String(v2.version), '0.1');
    expect(start.status, start.stderr).toBe(0);
    expect(start.stdout).toContain(`canarycli@canary → ${v2.version}, serving 10.0 % of the champion's traffic`);
    const bad = await cli('canary', 'canarycli', String(v2.version), '1.5');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/share must be a number from 0 to 1/);
    expect((await cli('canary', 'canarycli', String(v2.version), '0.5')).status).toBe(0);
    expect((await client.getAlias('canarycli', 'canary')).share).toBe(0.5);

    // Rolling the canary back restores its previous share (compare-and-set on version and share).
    const back = await cli('rollback', 'canarycli', 'canary');
    expect(back.status, back.stderr).toBe(0);
    expect(await client.getAlias('canarycli', 'canary')).toMatchObject({ version: v2.version, share: 0.1 });

    const ab = await cli('ab', 'canarycli', String(v1.version), String(v2.version), '--json');
    expect(ab.status, ab.stderr).toBe(0);
    expect(JSON.parse(ab.stdout)).toMatchObject({ model: 'canarycli', overlap: null, a: { version: v1.version, n: 0 }, b: { version: v2.version, n: 0 } });

    const end = await cli('end-canary', 'canarycli');
    expect(end.status, end.stderr).toBe(0);
    await expect(client.getAlias('canarycli', 'canary')).rejects.toMatchObject({ status: 404 });
  });
});
