// `pnpm run deploy [--env staging]`: puts the Worker on Cloudflare, in the order the README's "Deploying" lists:
//   1. refuse without CLOUDFLARE_API_TOKEN (nothing below works without an account)
//   2. D1: reuse the database named in wrangler.toml, or create it; write its id into wrangler.toml
//      while it is still the placeholder, and refuse to go on without a real id
//   3. R2: create the bucket unless it exists; Queues: create each queue (producers' and dead-letter) unless it exists
//   4. apply worker/migrations to the remote D1
//   5. set the secrets that are in the environment (REGISTRY_TOKEN, READ_TOKEN, FEEDBACK_TOKEN, METRICS_TOKEN, ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET)
//      REGISTRY_TOKEN is the bootstrap admin: hand every other holder (CI, dashboards, on-call) its own API key
//      and rotate without a failed request (ROTATION below, `pnpm run deploy --help`).
//   6. build the PWA (web/dist)             7. wrangler deploy
// `pnpm run deploy --dry-run [--outdir DIR]` needs no account: builds the PWA, bundles the Worker exactly as a
// deploy would (`wrangler deploy --dry-run --outdir`) and reports its gzip size against the plans' limits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { parse } from 'smol-toml';

export const ROOT = resolve(import.meta.dirname, '..');
export const CONFIG = join(ROOT, 'wrangler.toml');
const WRANGLER = join(ROOT, 'worker/node_modules/.bin/wrangler');

/** Workers size limits after compression (developers.cloudflare.com/workers/platform/limits/). */
export const LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };
export const PLACEHOLDER_D1_ID = '00000000-0000-0000-0000-000000000000';
export const SECRETS = ['REGISTRY_TOKEN', 'READ_TOKEN', 'FEEDBACK_TOKEN', 'METRICS_TOKEN', 'ALERT_WEBHOOK_URL', 'ALERT_WEBHOOK_SECRET', 'RETRAIN_DISPATCH_TOKEN'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The D1 database, R2 bucket and queues (producers' and consumers' dead-letter queues) of the top level (env undefined) or of `[env.<env>]`. */
export function deployTarget(toml, env) {
  const config = parse(toml);
  const section = env ? config.env?.[env] : config;
  if (!section) throw new DeployError(`wrangler.toml has no [env.${env}]`);
  const d1 = section.d1_databases?.find((d) => d.binding === 'DB');
  const r2 = section.r2_buckets?.find((b) => b.binding === 'MODELS');
  if (!d1 || !r2) throw new DeployError(`wrangler.toml${env ? ` [env.${env}]` : ''} needs the DB d1_databases and MODELS r2_buckets bindings`);
  const queues = [...new Set([...(section.queues?.producers ?? []).map((q) => q.queue), ...(section.queues?.consumers ?? []).flatMap((q) => [q.queue, ...(q.dead_letter_queue ? [q.dead_letter_queue] : [])])])];
  return { workerName: section.name ?? config.name, d1: { name: d1.database_name, id: d1.database_id }, r2: { bucket: r2.bucket_name }, queues };
}

/** Whether `id` is a D1 id a deploy can use (a UUID, not the committed placeholder). */
export function isRealD1Id(id) {
  return typeof id === 'string' && UUID.test(id) && id !== PLACEHOLDER_D1_ID;
}

/** wrangler.toml with the placeholder database_id of the env's DB replaced by `id` (comments and layout kept). */
export function withD1Id(toml, env, id) {
  if (!isRealD1Id(id)) throw new DeployError(`not a D1 database id: ${id}`);
  const header = env ? `[[env.${env}.d1_databases]]` : '[[d1_databases]]';
  const lines = toml.split('\n');
  let inSection = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith('[')) inSection = line === header;
    if (inSection && /^binding\s*=\s*"DB"/.test(line)) {
      for (let j = i + 1; j < lines.length && !lines[j].trim().startsWith('['); j++) {
        if (/^\s*database_id\s*=/.test(lines[j])) {
          lines[j] = lines[j].replace(/"[^"]*"/, `"${id}"`);
          const out = lines.join('\n');
          if (deployTarget(out, env).d1.id !== id) throw new DeployError('could not write the D1 id into wrangler.toml');
          return out;
        }
      }
    }
  }
  throw new DeployError(`no database_id under ${header} (binding "DB") in wrangler.toml`);
}

/** Sizes of a `wrangler deploy --dry-run --outdir` bundle: raw and gzip, per file and in all. */
export function bundleSizes(outDir) {
  const files = readdirSync(outDir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(outDir, f)).isFile() && !f.endsWith('.map') && f !== 'README.md');
  const rows = files.map((f) => {
    const bytes = readFileSync(join(outDir, f));
    return { file: f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files: rows, raw: rows.reduce((s, r) => s + r.raw, 0), gzip: rows.reduce((s, r) => s + r.gzip, 0) };
}

export function formatSizes(s) {
  const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  const lines = s.files.map((r) => `  ${r.file.padEnd(40)} ${mib(r.raw).padStart(11)} raw  ${mib(r.gzip).padStart(11)} gzip`);
  lines.push(`  ${'total'.padEnd(40)} ${mib(s.raw).padStart(11)} raw  ${mib(s.gzip).padStart(11)} gzip`);
  lines.push(`  Workers Paid plan limit ${mib(LIMITS.paid)} gzip: ${s.gzip <= LIMITS.paid ? 'within' : 'OVER'}`);
  lines.push(`  Workers Free plan limit ${mib(LIMITS.free)} gzip: ${s.gzip <= LIMITS.free ? 'within' : 'over (deploy on the Paid plan)'}`);
  return lines.join('\n');
}

export class DeployError extends Error {}

function wrangler(args, { capture = false, input } = {}) {
  console.log(`\n$ wrangler ${args.join(' ')}`);
  const r = spawnSync(WRANGLER, [...args, '--config', CONFIG], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    input,
    stdio: capture || input !== undefined ? ['pipe', 'pipe', 'pipe'] : 'inherit',
  });
  if (capture && r.status !== 0) process.stderr.write(r.stderr ?? '');
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(r, what) {
  if (r.status !== 0) throw new DeployError(`${what} failed (wrangler exited with ${r.status}); see its output above`);
  return r;
}

function buildWeb() {
  console.log('\n$ pnpm --filter @sentiment-edge/web build');
  const r = spawnSync('pnpm', ['--filter', '@sentiment-edge/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new DeployError('building the PWA (web/) failed');
}

export function dryRun(outDir, env) {
  buildWeb();
  must(wrangler(['deploy', '--dry-run', '--outdir', outDir, ...(env ? ['--env', env] : [])]), 'wrangler deploy --dry-run');
  const sizes = bundleSizes(outDir);
  console.log(`\nbundle in ${outDir}:\n${formatSizes(sizes)}`);
  if (sizes.gzip > LIMITS.paid) throw new DeployError('the bundle is over the Workers Paid plan limit: it cannot be deployed');
  return sizes;
}

/** Step 1: everything after this talks to a Cloudflare account. */
export function requireAccount(env) {
  if (!process.env.CLOUDFLARE_API_TOKEN) {
    throw new DeployError(
      [
        'CLOUDFLARE_API_TOKEN is not set: deploying needs a Cloudflare account (Workers Paid plan: the bundle is over the Free plan\'s 3 MB).',
        'Create a token at https://dash.cloudflare.com/profile/api-tokens ("Edit Cloudflare Workers" template, plus D1 Edit and',
        'Workers R2 Storage Edit), then: CLOUDFLARE_API_TOKEN=… REGISTRY_TOKEN="$(openssl rand -base64 32)" pnpm run deploy' + (env ? ` --env ${env}` : ''),
        '(CLOUDFLARE_ACCOUNT_ID too if the token can see several accounts). Without an account, `pnpm run deploy --dry-run` builds and sizes the bundle.',
      ].join('\n'),
    );
  }
}

function ensureD1(env) {
  let target = deployTarget(readFileSync(CONFIG, 'utf8'), env);
  const list = must(wrangler(['d1', 'list', '--json'], { capture: true }), 'listing D1 databases');
  const dbs = JSON.parse(list.stdout.slice(list.stdout.indexOf('[')));
  let db = dbs.find((d) => d.name === target.d1.name);
  if (isRealD1Id(target.d1.id)) {
    if (!dbs.some((d) => d.uuid === target.d1.id)) throw new DeployError(`wrangler.toml names D1 database ${target.d1.id}, which this account does not have: fix database_id, or set it back to ${PLACEHOLDER_D1_ID} to create one`);
    console.log(`D1: using ${target.d1.name} (${target.d1.id})`);
    return target;
  }
  if (db) console.log(`D1: reusing the existing database ${db.name} (${db.uuid})`);
  else {
    must(wrangler(['d1', 'create', target.d1.name]), `creating D1 database ${target.d1.name}`);
    const again = must(wrangler(['d1', 'list', '--json'], { capture: true }), 'listing D1 databases');
    db = JSON.parse(again.stdout.slice(again.stdout.indexOf('['))).find((d) => d.name === target.d1.name);
  }
  if (!db || !isRealD1Id(db.uuid)) throw new DeployError(`no usable id for D1 database ${target.d1.name}: put it into wrangler.toml (database_id) by hand`);
  writeFileSync(CONFIG, withD1Id(readFileSync(CONFIG, 'utf8'), env, db.uuid));
  console.log(`wrote database_id = "${db.uuid}" into wrangler.toml${env ? ` [env.${env}]` : ''}: commit it`);
  target = deployTarget(readFileSync(CONFIG, 'utf8'), env);
  if (!isRealD1Id(target.d1.id)) throw new DeployError('wrangler.toml still has no real D1 id');
  return target;
}

function ensureR2(target) {
  const info = wrangler(['r2', 'bucket', 'info', target.r2.bucket], { capture: true });
  if (info.status === 0) console.log(`R2: reusing bucket ${target.r2.bucket}`);
  else must(wrangler(['r2', 'bucket', 'create', target.r2.bucket]), `creating R2 bucket ${target.r2.bucket}`);
}

/**
 * How to rotate a credential without a failed request (printed by --help and after the secrets step). Several
 * keys per role can be active at once, so a holder is switched before its old key is revoked.
 */
export const ROTATION = [
  'Rotating credentials without a failed request:',
  '  API keys (CI, dashboards, on-call; several per role may be active at once):',
  '    1. create a second key:  pnpm registry keys create --name ci-2 --role publisher --expires 90d',
  '    2. switch the holder to it (gh secret set REGISTRY_TOKEN for CI, the key field of the dashboard, ...)',
  '    3. revoke the first once it is no longer used (keys list: "last used"):  pnpm registry keys revoke ci-1',
  '       (refused everywhere within 5 s)',
  '  REGISTRY_TOKEN (the bootstrap admin secret): give holders API keys first (above), then set a new one with',
  '    REGISTRY_TOKEN="$(openssl rand -base64 32)" pnpm run deploy   and update the one place that still holds it.',
  '  READ_TOKEN, FEEDBACK_TOKEN, METRICS_TOKEN are single secrets: a new value refuses the old at once; prefer',
  '    reader keys for dashboards, which rotate as above.',
].join('\n');

function ensureQueues(target) {
  for (const queue of target.queues) {
    const info = wrangler(['queues', 'info', queue], { capture: true });
    if (info.status === 0) console.log(`Queues: reusing ${queue}`);
    else must(wrangler(['queues', 'create', queue]), `creating queue ${queue}`);
  }
}

function setSecrets(env) {
  const values = Object.fromEntries(SECRETS.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  const missing = SECRETS.filter((k) => !(k in values));
  if (Object.keys(values).length > 0) must(wrangler(['secret', 'bulk', ...(env ? ['--env', env] : [])], { input: JSON.stringify(values) }), `setting secrets ${Object.keys(values).join(', ')}`);
  if (missing.length) console.log(`secrets not in the environment, left as they are: ${missing.join(', ')}${missing.includes('REGISTRY_TOKEN') ? ' (without REGISTRY_TOKEN registry writes are refused: set it before publishing)' : ''}`);
  if (values.REGISTRY_TOKEN) console.log(`\n${ROTATION}\n`);
}

export function deploy(env) {
  requireAccount(env);
  const target = ensureD1(env);
  ensureR2(target);
  ensureQueues(target);
  must(wrangler(['d1', 'migrations', 'apply', 'DB', '--remote', ...(env ? ['--env', env] : [])]), 'applying D1 migrations');
  setSecrets(env);
  buildWeb();
  must(wrangler(['deploy', ...(env ? ['--env', env] : [])]), 'wrangler deploy');
  console.log(`\ndeployed ${target.workerName}. Next: publish the first model (README, "Deploying", step 4).`);
}

function main() {
  const { values } = parseArgs({ options: { env: { type: 'string' }, 'dry-run': { type: 'boolean' }, outdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log('usage: pnpm run deploy [--env staging]      deploy (needs CLOUDFLARE_API_TOKEN)\n       pnpm run deploy --dry-run [--outdir DIR] [--env staging]   bundle and size it, no account needed\n\n' + ROTATION);
    return;
  }
  const env = values.env;
  if (env) deployTarget(readFileSync(CONFIG, 'utf8'), env); // an unknown environment fails before anything runs
  if (values['dry-run']) dryRun(values.outdir ? resolve(values.outdir) : mkdtempSync(join(tmpdir(), 'sentiment-edge-bundle-')), env);
  else deploy(env);
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  try {
    main();
  } catch (e) {
    if (!(e instanceof DeployError) && !(e instanceof TypeError && /parseArgs|Unknown option/i.test(String(e)))) throw e;
    console.error(`\ndeploy: ${e.message}`);
    process.exit(1);
  }
}
