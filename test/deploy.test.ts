// `pnpm run deploy`: the dry run bundles the Worker as a deploy would and sizes it against the plans'
// limits (no account needed); the real deploy refuses, before touching anything, without an account.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@sentiment-edge/worker/local';
import { pnpm } from './src/run.ts';
import { bundleSizes, deployTarget, formatSizes, isRealD1Id, LIMITS, PLACEHOLDER_D1_ID, withD1Id } from '../scripts/deploy.mjs';

const work = mkdtempSync(join(tmpdir(), 'deploy-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function deploy(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.CLOUDFLARE_API_TOKEN;
  return pnpm(['--silent', 'run', 'deploy', ...args], { ...base, ...env });
}

describe('pnpm run deploy', () => {
  // Builds the PWA and bundles the Worker: about a minute alone, several on a loaded 2-core machine.
  it('--dry-run bundles the Worker; its gzip size is within the Workers Paid plan limit (10 MiB), the Free 3 MiB reported beside it', { timeout: 400_000 }, async () => {
    const out = join(work, 'bundle');
    const r = await deploy(['--dry-run', '--outdir', out]);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const sizes = bundleSizes(out);
    console.log(`wrangler deploy --dry-run bundle:\n${formatSizes(sizes)}`);
    expect(sizes.files.map((f) => f.file)).toEqual(expect.arrayContaining(['index.js']));
    expect(sizes.files.some((f) => f.file.endsWith('.wasm'))).toBe(true);
    expect(sizes.gzip).toBeLessThan(LIMITS.paid);
    // wrangler's own figure for the upload, what Cloudflare's limit applies to
    const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(r.stdout);
    expect(reported, r.stdout).not.toBeNull();
    console.log(`wrangler: total upload ${reported![1]} KiB, gzip ${reported![2]} KiB`);
    expect(Number(reported![2]) * 1024).toBeLessThan(LIMITS.paid);
    expect(r.stdout).toMatch(/Workers Paid plan limit 10\.00 MiB gzip: within/);
    expect(r.stdout).toMatch(/Workers Free plan limit 3\.00 MiB gzip: (within|over)/);
  });

  it('refuses without CLOUDFLARE_API_TOKEN, saying how to get one, before any step that needs an account', async () => {
    const before = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
    const r = await deploy([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CLOUDFLARE_API_TOKEN is not set: deploying needs a Cloudflare account/);
    expect(r.stderr).toMatch(/pnpm run deploy --dry-run/);
    expect(r.stdout).not.toMatch(/\$ wrangler/); // no wrangler command ran
    expect(readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8')).toBe(before);
  });

  it('--help says how to rotate a credential without a failed request, with registry CLI commands that exist', async () => {
    const r = await deploy(['--help']);
    expect(r.status).toBe(0);
    const create = r.stdout.indexOf('pnpm registry keys create');
    const revoke = r.stdout.indexOf('pnpm registry keys revoke');
    // A second key first, the holder switched, the first revoked last.
    expect(create).toBeGreaterThan(0);
    expect(revoke).toBeGreaterThan(create);
    // The rotation text here and in the CI workflow names only subcommands and options the CLI has.
    const usage = readFileSync(join(REPO_ROOT, 'registry/src/node/registry-cli.ts'), 'utf8');
    const workflow = readFileSync(join(REPO_ROOT, '.github/workflows/train-publish.yml'), 'utf8');
    const commands = [...`${r.stdout}\n${workflow}`.matchAll(/pnpm registry keys (\w+)((?: --\w+ [^\s`]+)*)/g)];
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const [, sub, opts] of commands) {
      expect(usage, `keys ${sub}`).toContain(`pnpm registry keys ${sub}`);
      for (const [o] of opts!.matchAll(/--\w+/g)) expect(usage, o).toContain(`${o} `);
    }
  });

  it('refuses an environment wrangler.toml does not have', async () => {
    const r = await deploy(['--env', 'nope'], { CLOUDFLARE_API_TOKEN: 'unused' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/wrangler.toml has no \[env.nope\]/);
  });
});

describe('the D1 id in wrangler.toml', () => {
  const toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const id = '0123abcd-4567-89ab-cdef-0123456789ab';

  it('is the placeholder in the repository, which a deploy does not accept as real', () => {
    expect(deployTarget(toml).d1.id).toBe(PLACEHOLDER_D1_ID);
    expect(isRealD1Id(PLACEHOLDER_D1_ID)).toBe(false);
    expect(isRealD1Id('sentiment-edge')).toBe(false);
    expect(isRealD1Id(id)).toBe(true);
  });

  it('is written into the right environment only, keeping the rest of the file', () => {
    const top = withD1Id(toml, undefined, id);
    expect(deployTarget(top).d1.id).toBe(id);
    expect(deployTarget(top, 'staging').d1.id).toBe(PLACEHOLDER_D1_ID);
    expect(top.replace(id, PLACEHOLDER_D1_ID)).toBe(toml);
    const staging = withD1Id(toml, 'staging', id);
    expect(deployTarget(staging, 'staging')).toMatchObject({ workerName: 'sentiment-edge-staging', d1: { name: 'sentiment-edge-staging', id }, r2: { bucket: 'sentiment-edge-staging-models' } });
    expect(deployTarget(staging).d1.id).toBe(PLACEHOLDER_D1_ID);
    // The queues a deploy creates: the evaluation queue and its dead-letter queue, per environment.
    expect(deployTarget(toml).queues).toEqual(['sentiment-edge-evaluations', 'sentiment-edge-evaluations-dlq']);
    expect(deployTarget(toml, 'staging').queues).toEqual(['sentiment-edge-staging-evaluations', 'sentiment-edge-staging-evaluations-dlq']);
    expect(() => withD1Id(toml, undefined, 'not-an-id')).toThrow(/not a D1 database id/);
  });
});
