// wrangler.toml, the Env type generated from it, the code that reads env, and the README's configuration
// table agree; staging declares what the top level declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sentiment-edge/worker/local';
import { SECRETS } from '../scripts/deploy.mjs';
import { pnpm } from './src/run.ts';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

interface WorkerConfig {
  vars?: Record<string, string>;
  secrets?: { required?: string[] };
  d1_databases?: { binding: string }[];
  r2_buckets?: { binding: string }[];
  ratelimits?: { name: string }[];
  queues?: { producers?: { binding: string }[]; consumers?: { queue: string }[] };
  assets?: { binding?: string };
  env?: Record<string, WorkerConfig>;
}
const toml = parse(read('wrangler.toml')) as WorkerConfig;

/** Property names of an interface body in a .ts/.d.ts file. */
function interfaceProps(source: string, header: RegExp): string[] {
  const m = header.exec(source);
  if (!m) throw new Error(`no ${header} in the source`);
  const body = source.slice(m.index + m[0].length, source.indexOf('\n}', m.index));
  return [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??:/gm)].map((x) => x[1]!);
}

/** The names the Worker reads: the generated Env, env.ts's additions, and every `env.NAME` / `Pick<Env, 'NAME'>` in worker/src. */
function namesTheWorkerReads(): Set<string> {
  const names = new Set([
    ...interfaceProps(read('worker/src/worker-configuration.d.ts'), /interface __BaseEnv_Env \{/),
    ...interfaceProps(read('worker/src/env.ts'), /export interface Env extends Cloudflare\.Env \{/),
  ]);
  const dir = join(REPO_ROOT, 'worker/src');
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f.endsWith('.d.ts')) continue;
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/\benv\??\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1]!);
    for (const m of src.matchAll(/Pick<Env,\s*([^>]+)>/g)) for (const k of m[1]!.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) names.add(k[1]!);
  }
  return names;
}

/** The README's configuration rows: every backticked name of the first column, with its kind and default. */
function readmeRows(): { name: string; kind: string; default: string }[] {
  const readme = read('README.md');
  const start = readme.indexOf('## Configuration\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => {
      const [names, kind, dflt] = l.split(' | ').map((c) => c.replace(/^\| /, ''));
      return [...names!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => ({ name: m[1]!, kind: kind!, default: dflt! }));
    });
}

describe('Worker configuration', () => {
  it('the generated Env type is up to date with wrangler.toml (wrangler types --check)', async () => {
    const r = await pnpm(['--filter', '@sentiment-edge/worker', 'types:check'], { ...process.env, WRANGLER_SEND_METRICS: 'false' });
    expect(r.status, `${r.stdout}\n${r.stderr}\nrun: pnpm --filter @sentiment-edge/worker types`).toBe(0);
  });

  it('the generated Env has every var, secret and binding of wrangler.toml', () => {
    const generated = new Set(interfaceProps(read('worker/src/worker-configuration.d.ts'), /interface __BaseEnv_Env \{/));
    const declared = [
      ...Object.keys(toml.vars ?? {}),
      ...(toml.secrets?.required ?? []),
      ...(toml.d1_databases ?? []).map((d) => d.binding),
      ...(toml.r2_buckets ?? []).map((b) => b.binding),
      ...(toml.ratelimits ?? []).map((r) => r.name),
      ...(toml.queues?.producers ?? []).map((q) => q.binding),
      ...(toml.assets?.binding ? [toml.assets.binding] : []),
    ];
    expect([...generated].sort()).toEqual([...new Set(declared)].sort());
  });

  it('the README table lists every name the Worker reads, and nothing it does not', () => {
    const worker = readmeRows().filter((r) => /Worker|binding/.test(r.kind));
    const documented = new Set(worker.map((r) => r.name));
    const reads = namesTheWorkerReads();
    const undocumented = [...reads].filter((n) => !documented.has(n));
    expect(undocumented, 'add a row to the README\'s "Configuration" table').toEqual([]);
    expect([...documented].filter((n) => !reads.has(n)), 'rows for names the Worker does not read').toEqual([]);
  });

  it("the README's default of each var is wrangler.toml's value", () => {
    const rows = new Map(readmeRows().filter((r) => /Worker|binding/.test(r.kind)).map((r) => [r.name, r]));
    for (const [name, value] of Object.entries(toml.vars ?? {})) {
      expect(rows.get(name)?.kind, name).toBe('Worker var');
      expect(rows.get(name)?.default, name).toContain(`\`${JSON.stringify(value)}\``);
    }
    for (const name of toml.secrets?.required ?? []) expect(rows.get(name)?.kind, name).toBe('Worker secret (required)');
  });

  it('pnpm run deploy sets every secret of the README table (from the environment)', () => {
    const secrets = readmeRows().filter((r) => r.kind.startsWith('Worker secret')).map((r) => r.name);
    expect([...SECRETS].sort()).toEqual(secrets.sort());
  });

  it('[env.staging] declares the same vars, secrets and bindings as the top level (environments do not inherit them)', () => {
    const names = (c: WorkerConfig) => ({
      vars: Object.keys(c.vars ?? {}).sort(),
      secrets: [...(c.secrets?.required ?? [])].sort(),
      d1: (c.d1_databases ?? []).map((d) => d.binding).sort(),
      r2: (c.r2_buckets ?? []).map((b) => b.binding).sort(),
      ratelimits: (c.ratelimits ?? []).map((r) => r.name).sort(),
      queueProducers: (c.queues?.producers ?? []).map((q) => q.binding).sort(),
      queueConsumers: (c.queues?.consumers ?? []).length,
    });
    expect(toml.env?.staging).toBeDefined();
    expect(names(toml.env!.staging!)).toEqual(names(toml));
  });
});
