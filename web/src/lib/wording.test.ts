import { describe, expect, it } from 'vitest';
import { plainDetail, plural, shortDate, shortDateTime, thousands } from './wording.ts';

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

describe('thousands', () => {
  it('writes integers as toLocaleString("en") does', () => {
    for (const n of [0, 7, 999, 1000, 5000, 12_345, 999_999, 1_000_000, 123_456_789, -1234]) expect(thousands(n)).toBe(n.toLocaleString('en'));
  });
});

describe('shortDate, shortDateTime', () => {
  it('write the day, month and year (and the time) in the device time zone', () => {
    const d = new Date(2026, 10, 30, 9, 5); // local time
    expect(shortDate(d.toISOString())).toBe('30 Nov 2026');
    expect(shortDateTime(d.toISOString())).toBe('30 Nov 2026, 09:05');
    expect(shortDate(new Date(2027, 0, 2).toISOString())).toBe('2 Jan 2027');
  });

  it('give an unreadable date back as it came', () => {
    expect(shortDate('not a date')).toBe('not a date');
    expect(shortDateTime('')).toBe('');
  });
});
