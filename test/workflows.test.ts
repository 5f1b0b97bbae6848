// The GitHub Actions workflows are valid (checked with action-validator, which validates against the
// published workflow schema) and keep the rules the run-steps test relies on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sentiment-edge/worker/local';
import { evaluate, readWorkflow } from './src/workflow.ts';

const DIR = join(REPO_ROOT, '.github/workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

describe('GitHub Actions workflows', () => {
  it('are the two the README describes', () => {
    expect(files.sort()).toEqual(['ci.yml', 'train-publish.yml']);
  });

  it.each(files)('%s passes action-validator', (file) => {
    const result = validateWorkflow(readFileSync(join(DIR, file), 'utf8'));
    expect(result.errors).toEqual([]);
  });

  it('action-validator refuses a broken workflow (the check can fail)', () => {
    const broken = readFileSync(join(DIR, 'ci.yml'), 'utf8').replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest');
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it.each(files)('%s passes values to scripts through env:, never ${{ }} inside run:', (file) => {
    const wf = readWorkflow(join(DIR, file));
    for (const job of Object.values(wf.jobs)) for (const step of job.steps) if (step.run) expect(step.run, step.name).not.toContain('${{');
  });

  it('ci.yml installs, typechecks, then tests, with pnpm cached', () => {
    const wf = readWorkflow(join(DIR, 'ci.yml'));
    const steps = Object.values(wf.jobs)[0]!.steps;
    expect(steps.filter((s) => s.run).map((s) => s.run!.trim())).toEqual(['pnpm install --frozen-lockfile', 'pnpm typecheck', 'pnpm test']);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))).toMatchObject({ with: { cache: 'pnpm' } });
  });

  it('train-publish.yml runs on the Worker\'s retraining dispatch (repository_dispatch "retrain") for the model it names', () => {
    const wf = readWorkflow(join(DIR, 'train-publish.yml'));
    expect(wf.on.repository_dispatch).toEqual({ types: ['retrain'] });
    const model = wf.jobs['train-publish']!.env!.MODEL_NAME!;
    // A dispatch has no inputs: the model comes from client_payload; by hand, the input wins.
    expect(evaluate(model, { inputs: {}, github: { event: { client_payload: { model: 'sentiment-tweets', reason: 'drift' } } } })).toBe('sentiment-tweets');
    expect(evaluate(model, { inputs: { model: 'by-hand' }, github: { event: {} } })).toBe('by-hand');
    expect(evaluate(model, { inputs: {}, github: {} })).toBe('sentiment');
  });

  it('.ci/run typechecks before it tests', () => {
    const lines = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8').split('\n').map((l) => l.trim());
    const typecheck = lines.indexOf('pnpm typecheck');
    expect(typecheck).toBeGreaterThan(lines.indexOf('pnpm install --frozen-lockfile'));
    expect(typecheck).toBeLessThan(lines.indexOf('pnpm test'));
  });
});
