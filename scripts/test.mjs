// Runs the packages' vitest suites in dependency order and ends with one summary line
// ("tests: N passed, N failed, N skipped") that CI reads. Exit code 1 if any suite fails.
//
//   pnpm test                          every package (what CI runs)
//   pnpm test worker test              only these packages
//   pnpm test --changed[=REF]          only the packages changed since REF (default: main; committed,
//                                      staged, unstaged and untracked files), and the packages that use them
//   pnpm test worker src/auth.test.ts  anything that is not a package name or --changed goes to vitest
//                                      (file filters, -t NAME, …) in each package run
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
/** Every package with tests, in dependency order, and the packages whose tests use it. */
const PACKAGES = ['registry', 'training', 'worker', 'web', 'test'];
const USED_BY = { registry: ['training', 'worker', 'web', 'test'], training: ['worker', 'test'], worker: ['test'], web: ['test'], test: [] };

const args = process.argv.slice(2).filter((a) => a !== '--');
const changedArg = args.find((a) => a === '--changed' || a.startsWith('--changed='));
const named = args.filter((a) => PACKAGES.includes(a));
const vitestArgs = args.filter((a) => a !== changedArg && !PACKAGES.includes(a));

/** Packages touched since `ref` (merge base), plus their users; a change outside the packages (lockfile, wrangler.toml, scripts/) selects all. */
function changedPackages(ref) {
  const git = (...a) => {
    const r = spawnSync('git', a, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`git ${a.join(' ')} failed: ${r.stderr.trim()}`);
      process.exit(1);
    }
    return r.stdout.split('\n').filter(Boolean);
  };
  const base = git('merge-base', ref, 'HEAD')[0];
  const files = new Set([...git('diff', '--name-only', base), ...git('ls-files', '--others', '--exclude-standard')]);
  const selected = new Set();
  for (const file of files) {
    const top = file.split('/')[0];
    if (PACKAGES.includes(top)) {
      if (!/\.md$/.test(file)) for (const p of [top, ...USED_BY[top]]) selected.add(p);
    } else if (!/\.md$/.test(file) && !file.startsWith('docs/') && !file.startsWith('.github/')) {
      PACKAGES.forEach((p) => selected.add(p)); // root config (package.json, lockfile, wrangler.toml, scripts/, tsconfig)
    } else if (file.startsWith('.github/')) selected.add('test'); // test/workflows*.test.ts read the workflows
  }
  console.log(`changed since ${ref} (${base.slice(0, 10)}): ${files.size} files → ${selected.size ? PACKAGES.filter((p) => selected.has(p)).join(', ') : 'no package'}`);
  return selected;
}

/** The first line of a failure message, without colour codes, at most 300 characters. */
function firstLine(message) {
  const line = String(message ?? 'no message').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? 'no message';
  return line.trim().slice(0, 300);
}

let packages = PACKAGES.filter((p) => named.length === 0 || named.includes(p));
if (changedArg) {
  const changed = changedPackages(changedArg.split('=')[1] || 'main');
  packages = packages.filter((p) => changed.has(p));
}

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
const failedTests = [];
const times = [];

for (const pkg of packages) {
  const report = join(out, `${pkg}.json`);
  console.log(`\n=== ${pkg} ===`);
  const started = Date.now();
  // With a file filter, a package holding none of the files is not a failure.
  const filter = vitestArgs.length ? ['--passWithNoTests', ...vitestArgs] : [];
  const r = spawnSync('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...filter], {
    cwd: join(root, pkg),
    stdio: 'inherit',
    env: process.env,
  });
  if (existsSync(report)) {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += j.numPassedTests;
    totals.failed += j.numFailedTests;
    totals.skipped += j.numPendingTests + (j.numTodoTests ?? 0);
    for (const file of j.testResults ?? []) {
      const where = `${pkg}/${file.name.slice(join(root, pkg).length + 1)}`;
      const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
      for (const t of failed) failedTests.push(`${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      // A file that failed outside its tests (import error, a failing hook) has no failed test to name.
      if (file.status === 'failed' && failed.length === 0) failedTests.push(`${where}: ${firstLine(file.message)}`);
    }
  }
  if (r.status !== 0) {
    failedSuites.push(pkg);
    if (!existsSync(report)) totals.failed += 1; // the suite could not even run
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  times.push(`${pkg} ${seconds} s`);
  console.log(`=== ${pkg}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${seconds} s ===`);
}

if (failedSuites.length) console.log(`\nfailed suites: ${failedSuites.join(', ')}`);
// Named again at the end, where a CI log's tail shows them.
if (failedTests.length) console.log(`\nfailed tests:\n${failedTests.map((t) => `  ${t}`).join('\n')}`);
if (times.length) console.log(`\ntimes: ${times.join(', ')}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSuites.length ? 1 : 0);
