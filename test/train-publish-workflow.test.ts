// .github/workflows/train-publish.yml's `run:` steps, executed in order against a local Worker with the
// workflow's own env names (REGISTRY_URL from vars, REGISTRY_TOKEN from secrets), as a workflow_dispatch
// with small data through the workflow's inputs: a first candidate is promoted, and a fine-tuned one the
// gate rejects fails the job with the gate's reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@sentiment-edge/registry';
import { DATA_DIR, SUITE_SETS, writeSuiteFixtures } from '@sentiment-edge/training';
import { REPO_ROOT, startLocalWorker, type LocalWorker } from '@sentiment-edge/worker/local';
import { dispatchInputs, readWorkflow, runJob, type JobRun } from './src/workflow.ts';

const WORKFLOW = join(REPO_ROOT, '.github/workflows/train-publish.yml');
const wf = readWorkflow(WORKFLOW);
const INSTALL = 'pnpm install --frozen-lockfile';

let worker: LocalWorker;
let client: RegistryClient;
let work: string;
let dataDir: string;

beforeAll(async () => {
  worker = await startLocalWorker();
  client = new RegistryClient({ baseUrl: worker.url, token: worker.token });
  work = mkdtempSync(join(tmpdir(), 'train-publish-wf-'));
  // A small data folder: the suite's fixture sets + CheckList, 1200 SST-2 training rows, 300 validation rows for the gate.
  dataDir = join(work, 'data');
  writeSuiteFixtures(dataDir);
  const head = (file: string, rows: number) => readFileSync(join(DATA_DIR, file), 'utf8').split('\n').slice(0, rows + 1).join('\n') + '\n';
  writeFileSync(join(dataDir, 'train.csv'), head('sst2/train.csv', 1200));
  writeFileSync(join(dataDir, 'gate.csv'), head('sst2/validation.csv', 300));
});

afterAll(async () => {
  await worker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function dispatch(run: string, inputs: Record<string, string>): Promise<JobRun> {
  const base = { ...process.env };
  for (const k of ['REGISTRY_URL', 'REGISTRY_TOKEN', 'SENTIMENT_DATA', 'SENTIMENT_DATA_DIR', 'MODEL_DIR']) delete base[k];
  return runJob(wf, 'train-publish', {
    cwd: REPO_ROOT,
    temp: join(work, run),
    baseEnv: base,
    contexts: {
      inputs: dispatchInputs(wf, { data_dir: relative(REPO_ROOT, dataDir), gate_data: 'gate.csv', ...inputs }),
      github: { workspace: REPO_ROOT },
      vars: { REGISTRY_URL: worker.url },
      secrets: { REGISTRY_TOKEN: worker.token },
    },
    // The test runs inside an installed checkout; a no-op install costs minutes on a loaded machine.
    skip: { Install: `the checkout is installed (its command is checked to be "${INSTALL}")` },
    log: (l) => console.log(`[${run}] ${l}`),
  });
}

const SMALL = '--epochs 2 --buckets 2048 --dim 8 --no-word-vectors --seed 1';

describe('train-publish.yml', () => {
  it('installs with the frozen lockfile, as ci.yml and .ci/run do', () => {
    expect(wf.jobs['train-publish']!.steps.find((s) => s.name === 'Install')?.run?.trim()).toBe(INSTALL);
  });

  // Each dispatch starts pnpm/tsx four times: about a minute alone, several on a loaded 2-core machine.
  it('trains, runs the suite, publishes the first candidate as champion and writes the decision table to the job summary', { timeout: 400_000 }, async () => {
    const job = await dispatch('first', { model: 'wf', data: 'train.csv', floor: '0.5', train_args: SMALL });
    for (const s of job.steps) expect(s.status, `${s.name}:\n${s.stdout}\n${s.stderr}`).toBe(0);
    // With a data input the default recipe is not trained, so no feedback is exported (the step does nothing).
    expect(job.steps.map((s) => s.name)).toEqual(['Check settings', 'Export feedback', 'Train', 'Evaluate (suite)', 'Publish through the gate']);
    expect(job.env.FEEDBACK_CSV).toBe('');
    expect(job.summary).toContain(`## wf → ${worker.url}`);
    expect(job.summary).toMatch(/decision\s+PROMOTE/);
    expect(job.summary).toMatch(/Evaluation suite/);
    // The model directory (the artifact) carries the suite the Evaluate step wrote into it.
    const modelDir = job.env.MODEL_DIR!;
    expect(modelDir).toBe(join(work, 'first', 'candidate'));
    expect(JSON.parse(readFileSync(join(modelDir, 'metrics.json'), 'utf8')).suite.sets).toHaveLength(SUITE_SETS.length);
    expect((await client.getAlias('wf', 'champion')).version).toBe(1);
    const manifest = await client.getVersion('wf', 1);
    expect(manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'onnx/model_quantized.onnx', 'metrics.json']));
  });

  it('fine-tunes --from the champion and fails the job with the gate reason when the candidate is rejected', { timeout: 400_000 }, async () => {
    const job = await dispatch('rejected', { model: 'wf', data: 'train.csv', from: 'wf@champion', floor: '0.99', train_args: '--epochs 1' });
    expect(job.steps.slice(0, 4).map((s) => [s.name, s.status])).toEqual([
      ['Check settings', 0],
      ['Export feedback', 0],
      ['Train', 0],
      ['Evaluate (suite)', 0],
    ]);
    const publish = job.steps[4]!;
    expect(publish.name).toBe('Publish through the gate');
    expect(publish.status).toBe(1);
    expect(publish.stdout).toMatch(/::error title=candidate not published::not published: .*below the floor/);
    expect(job.summary).toMatch(/decision\s+REJECT/);
    expect(JSON.parse(readFileSync(join(job.env.MODEL_DIR!, 'training-meta.json'), 'utf8')).parent).toEqual({ name: 'wf', version: 1 });
    expect((await client.listVersions('wf')).versions).toHaveLength(1);
    expect((await client.getAlias('wf', 'champion')).version).toBe(1);
  });

  it('stops at "Check settings" with a clear message when the registry is not configured', async () => {
    const job = await runJob(wf, 'train-publish', {
      cwd: REPO_ROOT,
      temp: join(work, 'unset'),
      baseEnv: { PATH: process.env.PATH },
      contexts: { inputs: dispatchInputs(wf, {}), github: { workspace: REPO_ROOT }, vars: {}, secrets: {} },
      skip: { Install: 'installed' },
    });
    expect(job.steps).toHaveLength(1);
    expect(job.steps[0]).toMatchObject({ name: 'Check settings', status: 1 });
    expect(job.steps[0]!.stdout).toMatch(/set the REGISTRY_URL variable and the REGISTRY_TOKEN secret/);
  });
});
