// Runs every package's vitest suite in dependency order and ends with one summary line
// ("tests: N passed, N failed, N skipped") that CI reads. Exit code 1 if any suite fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const packages = ['registry', 'training', 'worker', 'web', 'test'].filter((p) => only.length === 0 || only.includes(p));
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
