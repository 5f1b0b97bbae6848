// Runs every package's vitest suite in dependency order and ends with one summary line
// ("tests: N passed, N failed, N skipped") that CI reads. Exit code 1 if any suite fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const packages = ['registry', 'training', 'worker', 'web', 'test'].filter((p) => only.length === 0 || only.includes(p));
// The real-browser tests drive Debian's chromium (no browser downloads): install it when it is missing.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (packages.includes('test') && !existsSync(chromium)) {
  const sudo = userInfo().uid === 0 ? [] : ['sudo'];
  console.log(`${chromium} is missing: installing Debian's chromium (apt-get) for the browser tests`);
  for (const args of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', 'chromium']]) {
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`could not install chromium (${args.join(' ')} failed): install it yourself (apt-get install chromium) or set CHROMIUM_PATH`);
      process.exit(1);
    }
  }
}

const out = mkdtempSync(join(tmpdir(), 'se-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSuites = [];

for (const pkg of packages) {
  const report = join(out, `${pkg}.json`);
  console.log(`\n=== ${pkg} ===`);
  const started = Date.now();
  const r = spawnSync('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: join(root, pkg),
    stdio: 'inherit',
    env: process.env,
  });
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += j.numPassedTests;
    totals.failed += j.numFailedTests;
    totals.skipped += j.numPendingTests + (j.numTodoTests ?? 0);
  }
  if (r.status !== 0) {
    failedSuites.push(pkg);
    if (!existsSync(report)) totals.failed += 1; // the suite could not even run
  }
  console.log(`=== ${pkg}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
}

if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length ? 1 : 0);
