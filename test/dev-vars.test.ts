// `pnpm dev`'s local secret: a random REGISTRY_TOKEN in .dev.vars, never the committed example.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDevVars } from '@sentiment-edge/registry/node';
import { REPO_ROOT } from '@sentiment-edge/worker/local';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDevVars, PUBLISHED_TOKENS } from '../scripts/dev-vars.mjs';

const dirs: string[] = [];
function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dev-vars-'));
  dirs.push(dir);
  copyFileSync(join(REPO_ROOT, '.dev.vars.example'), join(dir, '.dev.vars.example'));
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('.dev.vars', () => {
  it('the committed example holds no usable token', () => {
    const token = readDevVars(join(REPO_ROOT, '.dev.vars.example')).REGISTRY_TOKEN ?? '';
    expect(token).toBe('');
  });

  it('is created with a random 256-bit token, readable by the CLIs and by owner only', () => {
    const [a, b] = [fresh(), fresh()];
    expect(ensureDevVars(a)).toBe('created');
    expect(ensureDevVars(b)).toBe('created');
    const ta = readDevVars(join(a, '.dev.vars')).REGISTRY_TOKEN!;
    const tb = readDevVars(join(b, '.dev.vars')).REGISTRY_TOKEN!;
    expect(ta).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ta).not.toBe(tb);
    expect(statSync(join(a, '.dev.vars')).mode & 0o077).toBe(0);
    // A second start keeps it.
    expect(ensureDevVars(a)).toBe('kept');
    expect(readDevVars(join(a, '.dev.vars')).REGISTRY_TOKEN).toBe(ta);
  });

  it('replaces an empty or once-published token and keeps the other lines', () => {
    for (const old of ['', ...PUBLISHED_TOKENS]) {
      const dir = fresh();
      writeFileSync(join(dir, '.dev.vars'), `# mine\nOTHER=1\nREGISTRY_TOKEN=${old}\n`);
      expect(ensureDevVars(dir)).toBe('replaced');
      const vars = readDevVars(join(dir, '.dev.vars'));
      expect(vars.OTHER).toBe('1');
      expect(vars.REGISTRY_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(readFileSync(join(dir, '.dev.vars'), 'utf8')).toContain('# mine');
    }
  });
});
