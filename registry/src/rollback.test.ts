import { describe, expect, it } from 'vitest';
import type { AliasEvent } from './api.ts';
import { planRollback } from './rollback.ts';

const ev = (id: number, fromVersion: number | null, toVersion: number | null): AliasEvent => ({ id, name: 'm', alias: 'champion', fromVersion, toVersion, at: `2026-11-30T08:0${id}:00Z`, reason: null, actor: null });

describe('planRollback', () => {
  it('goes back to where the latest move came from', () => {
    expect(planRollback('m', 'champion', 3, [ev(3, 2, 3), ev(2, 1, 2), ev(1, null, 1)])).toMatchObject({ from: 3, to: 2 });
  });

  it('a second rollback undoes the first', () => {
    expect(planRollback('m', 'champion', 2, [ev(4, 3, 2), ev(3, 2, 3)])).toMatchObject({ from: 2, to: 3 });
  });

  it('sets a deleted alias again where it pointed before its deletion', () => {
    expect(planRollback('m', 'canary', null, [ev(5, 4, null), ev(4, null, 4)])).toMatchObject({ from: null, to: 4 });
    expect(() => planRollback('m', 'canary', null, [])).toThrow(/no alias "canary" and no history/);
    expect(() => planRollback('m', 'canary', null, [ev(4, null, 4)])).toThrow(/no alias "canary": set it with set-alias/);
  });

  it('refuses the first version, a history that disagrees with the alias, and no history', () => {
    expect(() => planRollback('m', 'champion', 1, [ev(1, null, 1)])).toThrow(/nothing to roll back to/);
    expect(() => planRollback('m', 'champion', 5, [ev(3, 2, 3)])).toThrow(/latest move is to 3/);
    expect(() => planRollback('m', 'champion', 5, [])).toThrow(/missing/);
  });
});
