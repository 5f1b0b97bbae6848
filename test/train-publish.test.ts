// End to end: train on slices → publish into a real local Worker through the F1 gate → the champion
// moves only when it should.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { DATA_DIR } from '@sentiment-edge/training';
import { buildTinyModel } from '@sentiment-edge/training/testing';
import { publishModel } from '@sentiment-edge/training/publish';
import { startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { pnpm } from './src/run.ts';

let worker: LocalWorker;
let client: RegistryClient;
let work: string;
const validation = join(DATA_DIR, 'sst2/validation.csv');
const dirs: Record<'small' | 'weak' | 'large', string> = { small: '', weak: '', large: '' };

beforeAll(async () => {
  worker = await startLocalWorker();
  client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
  work = mkdtempSync(join(tmpdir(), 'e2e-models-'));
  // Three real models of different quality, all trained from SST-2 slices in a few seconds.
  dirs.small = buildTinyModel(join(work, 'small'), { rows: 2000, seed: 1 }).dir;
  dirs.weak = buildTinyModel(join(work, 'weak'), { rows: 120, epochs: 1, seed: 1 }).dir;
  dirs.large = buildTinyModel(join(work, 'large'), { rows: 8000, epochs: 4, seed: 1 }).dir;
});

afterAll(async () => {
  await worker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const publish = (dir: string, policy: Parameters<typeof publishModel>[0]['policy'] = { floor: 0.3 }) =>
  publishModel({ client, dir, name: 'e2e', data: validation, policy });

describe('train → publish → gate', () => {
  it('makes the first model above the floor the champion', async () => {
    const r = await publish(dirs.small);
    expect(r.decision.outcome).toBe('promote');
    expect(r.published?.version).toBe(1);
    expect((await client.getAlias('e2e', 'champion')).version).toBe(1);
    expect(r.published?.evaluation.dataset.rows).toBe(872);
  });

  it('publishes a weaker model as challenger and leaves the champion alone', async () => {
    const r = await publish(dirs.weak);
    expect(r.decision.outcome).toBe('challenger');
    expect(r.decision.delta).toBeLessThan(0);
    expect(r.decision.paired).not.toBeNull();
    expect(r.alias).toBe('challenger');
    expect((await client.getAlias('e2e', 'champion')).version).toBe(1);
    expect((await client.getAlias('e2e', 'challenger')).version).toBe(2);
  });

  it('publishes nothing below the floor', async () => {
    const before = (await client.listVersions('e2e')).versions.length;
    const r = await publish(dirs.large, { floor: 0.99 });
    expect(r.decision.outcome).toBe('reject');
    expect(r.published).toBeNull();
    expect((await client.listVersions('e2e')).versions.length).toBe(before);
    expect((await client.getAlias('e2e', 'champion')).version).toBe(1);
  });

  it('an equal model does not beat the champion when the policy asks for a margin', async () => {
    const r = await publish(dirs.small, { floor: 0.3, margin: 0.01 });
    expect(r.decision.delta).toBe(0);
    expect(r.decision.outcome).toBe('challenger');
    expect((await client.getAlias('e2e', 'champion')).version).toBe(1);
  });

  it('promotes a better model, scoring both on the same file', async () => {
    const r = await publish(dirs.large);
    expect(r.champion?.evaluation.evaluation.dataset.sha256).toBe(r.candidate.evaluation.dataset.sha256);
    expect(r.decision.delta).toBeGreaterThan(0);
    expect(r.decision.outcome).toBe('promote');
    expect((await client.getAlias('e2e', 'champion')).version).toBe(r.published!.version);
    const events = (await client.aliasHistory('e2e', 'champion')).events;
    expect(events.map((e) => e.toVersion)).toEqual(expect.arrayContaining([1, r.published!.version]));
  });

  it('the CLI exits non-zero with the reason when the gate rejects', async () => {
    const res = await pnpm(['publish-model', '--model', dirs.weak, '--name', 'e2e', '--data', validation, '--floor', '0.99', '--registry', worker.url, '--token', worker.token]);
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/decision\s+REJECT/);
    expect(res.stderr).toMatch(/below the floor/);
  });

  it('evaluate and fine-tune take a registry reference (NAME@ALIAS) as the model', async () => {
    const env = { ...process.env, REGISTRY_URL: worker.url, REGISTRY_TOKEN: worker.token };
    const ev = await pnpm(['--silent', 'evaluate', '--model', 'e2e@champion', '--data', validation, '--json'], env);
    expect(ev.status, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout)).toMatchObject({ rows: 872, dataset: { rows: 872 } });

    const slice = join(work, 'slice.csv');
    writeFileSync(slice, readFileSync(join(DATA_DIR, 'sst2/train.csv'), 'utf8').split('\n').slice(0, 801).join('\n') + '\n');
    const out = join(work, 'finetuned');
    const tr = await pnpm(['train', '--from', 'e2e@champion', '--data', slice, '--validation', validation, '--out', out], env);
    expect(tr.status, tr.stderr).toBe(0);
    const { parent } = JSON.parse(readFileSync(join(out, 'training-meta.json'), 'utf8'));
    expect(parent).toEqual({ name: 'e2e', version: expect.any(Number) });
  });
});
