import { describe, expect, it } from 'vitest';
import { plainDetail, plural } from './wording.ts';

describe('plural', () => {
  it('says 1 row, 0 rows, 2 rows', () => {
    expect(plural(1, 'row')).toBe('1 row');
    expect(plural(0, 'row')).toBe('0 rows');
    expect(plural(2, 'row')).toBe('2 rows');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });
});

describe('plainDetail', () => {
  it('turns a network failure into plain words, without the address or the command', () => {
    const d = plainDetail('cannot reach http://127.0.0.1:8787: Failed to fetch. Is the Worker running (pnpm dev)?');
    expect(d).toBe('the server cannot be reached');
  });

  it('removes URLs and commands from other messages', () => {
    const d = plainDetail('no such model at https://example.com/api/v1/models/x (run pnpm dev)');
    expect(d).not.toMatch(/https?:|pnpm/);
    expect(d).toContain('no such model');
  });
});
