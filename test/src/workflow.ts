/**
 * Reads a GitHub Actions workflow and runs its `run:` steps locally, in order, the way a runner does:
 * each script in `bash --noprofile --norc -eo pipefail` (what `shell: bash` means on GitHub), the job's
 * `env:` with its `${{ }}` expressions evaluated against the contexts given (inputs filled with their
 * declared defaults, as workflow_dispatch does), and `$GITHUB_ENV` / `$GITHUB_STEP_SUMMARY` /
 * `$RUNNER_TEMP` files as the runner provides them. `uses:` steps (checkout, setup, artifact upload) are
 * the runner's business and are skipped.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  shell?: string;
  'working-directory'?: string;
}

export interface Workflow {
  on: { workflow_dispatch?: { inputs?: Record<string, { default?: string }> } } & Record<string, unknown>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { env?: Record<string, string>; steps: WorkflowStep[] }>;
}

export function readWorkflow(path: string): Workflow {
  return parse(readFileSync(path, 'utf8')) as Workflow;
}

export type Contexts = Record<string, Record<string, unknown>>;

/**
 * Evaluates the `${{ }}` expressions this project's workflows use in `env:` values: a context property
 * (`inputs.model`, `github.event.client_payload.model`) or a chain of them and string literals joined by `||` (the first non-empty one wins).
 * Anything else throws, so a workflow cannot quietly grow an expression the test does not evaluate.
 */
export function evaluate(value: string, contexts: Contexts): string {
  return String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    for (const operand of expr.split('||').map((s) => s.trim())) {
      let v: string;
      const literal = /^'([^']*)'$/.exec(operand);
      const path = /^([a-z_]+)((?:\.[A-Za-z_][\w-]*)+)$/.exec(operand);
      if (literal) v = literal[1]!;
      else if (path) {
        const ctx = contexts[path[1]!];
        if (!ctx) throw new Error(`expression "${expr}": no context "${path[1]}" given to the test`);
        // context.name or context.a.b.c (github.event.client_payload.model); a missing property is '' as in Actions.
        let cur: unknown = ctx;
        for (const key of path[2]!.slice(1).split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
        v = cur === undefined || cur === null ? '' : String(cur);
      } else throw new Error(`expression "${expr}": only context.name[.property…] and 'literal' joined by || are supported`);
      if (v !== '') return v;
    }
    return '';
  });
}

/** The workflow_dispatch inputs as GitHub fills them: declared defaults, overridden by what is given. */
export function dispatchInputs(wf: Workflow, given: Record<string, string>): Record<string, string> {
  const declared = wf.on.workflow_dispatch?.inputs ?? {};
  for (const k of Object.keys(given)) if (!(k in declared)) throw new Error(`workflow_dispatch has no input "${k}"`);
  return { ...Object.fromEntries(Object.entries(declared).map(([k, d]) => [k, String(d.default ?? '')])), ...given };
}

export interface StepResult {
  name: string;
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface JobRun {
  steps: StepResult[];
  /** The job's environment after the last step ran ($GITHUB_ENV applied). */
  env: Record<string, string>;
  summary: string;
}

export interface RunJobOptions {
  cwd: string;
  contexts: Contexts;
  /** RUNNER_TEMP and the runner's files live here. */
  temp: string;
  /** Base process environment (PATH etc.). */
  baseEnv: NodeJS.ProcessEnv;
  /** Steps not to execute, by name, with why (each must exist); the caller checks their commands itself. */
  skip?: Record<string, string>;
  log?: (line: string) => void;
}

/** Runs the job's `run:` steps in order; stops at the first that fails, as a runner does. */
export async function runJob(wf: Workflow, jobId: string, opts: RunJobOptions): Promise<JobRun> {
  const job = wf.jobs[jobId];
  if (!job) throw new Error(`no job "${jobId}"`);
  mkdirSync(opts.temp, { recursive: true });
  const envFile = join(opts.temp, 'github-env');
  const summaryFile = join(opts.temp, 'step-summary.md');
  writeFileSync(envFile, '');
  writeFileSync(summaryFile, '');
  for (const name of Object.keys(opts.skip ?? {})) if (!job.steps.some((s) => s.name === name)) throw new Error(`no step named "${name}" to skip`);
  let env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(opts.baseEnv).filter((e): e is [string, string] => e[1] !== undefined)),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.cwd,
    RUNNER_TEMP: opts.temp,
    GITHUB_ENV: envFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  };
  for (const [k, v] of Object.entries(job.env ?? {})) env[k] = evaluate(v, opts.contexts);
  const steps: StepResult[] = [];
  for (const [i, step] of job.steps.entries()) {
    if (step.run === undefined) continue;
    const name = step.name ?? `step ${i + 1}`;
    if (steps.some((s) => s.status !== 0)) break;
    if (step.if !== undefined) throw new Error(`step "${name}": run steps with if: are not supported by this runner`);
    if (step['working-directory'] !== undefined) throw new Error(`step "${name}": working-directory is not supported by this runner`);
    const shell = step.shell ?? wf.defaults?.run?.shell;
    if (shell !== 'bash') throw new Error(`step "${name}": shell must be bash (defaults.run.shell), got ${shell}`);
    if (opts.skip?.[name]) {
      opts.log?.(`skip ${name}: ${opts.skip[name]}`);
      continue;
    }
    const stepEnv = { ...env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluate(v, opts.contexts)])) };
    const script = join(opts.temp, `step-${i}.sh`);
    writeFileSync(script, step.run);
    const started = performance.now();
    // Asynchronously: the caller's event loop (its HTTP client's keep-alive timers) keeps running meanwhile.
    const r = await bash(script, opts.cwd, stepEnv);
    const result = { name, ...r, ms: performance.now() - started };
    steps.push(result);
    opts.log?.(`${result.status === 0 ? 'ok  ' : 'FAIL'} ${name} (${(result.ms / 1000).toFixed(1)} s)`);
    // $GITHUB_ENV: KEY=VALUE lines set variables for the following steps.
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const m = /^([A-Za-z_]\w*)=(.*)$/.exec(line);
      if (m) env = { ...env, [m[1]!]: m[2]! };
      else if (line.trim() !== '') throw new Error(`$GITHUB_ENV line not understood by this runner: ${line}`);
    }
  }
  return { steps, env, summary: readFileSync(summaryFile, 'utf8') };
}

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}
