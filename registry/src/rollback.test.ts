import { describe, expect, it } from 'vitest';
import type { AliasEvent } from './models-api.ts';
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
    const ch = (id: number, fromVersion: number | null, toVersion: number | null): AliasEvent => ({ ...ev(id, fromVersion, toVersion), alias: 'challenger' });
    expect(planRollback('m', 'challenger', null, [ch(5, 4, null), ch(4, null, 4)])).toMatchObject({ from: null, to: 4 });
    // A canary comes back with the share it had before its removal.
    const c = (id: number, fromVersion: number | null, toVersion: number | null, share?: number): AliasEvent => ({ ...ev(id, fromVersion, toVersion), alias: 'canary', ...(share !== undefined ? { share } : {}) });
    expect(planRollback('m', 'canary', null, [c(5, 4, null), c(4, null, 4, 0.3)])).toMatchObject({ from: null, to: 4, share: { from: null, to: 0.3 } });
    expect(() => planRollback('m', 'canary', null, [])).toThrow(/no alias "canary" and no history/);
    expect(() => planRollback('m', 'canary', null, [ev(4, null, 4)])).toThrow(/no alias "canary": set it with set-alias/);
  });

  it('refuses the first version, a history that disagrees with the alias, and no history', () => {
    expect(() => planRollback('m', 'champion', 1, [ev(1, null, 1)])).toThrow(/nothing to roll back to/);
    expect(() => planRollback('m', 'champion', 5, [ev(3, 2, 3)])).toThrow(/latest move is to 3/);
    expect(() => planRollback('m', 'champion', 5, [])).toThrow(/missing/);
  });

  it('rolls the canary back with its share: a share change alone, or a version move', () => {
    const c = (id: number, fromVersion: number | null, toVersion: number | null, share?: number): AliasEvent => ({ ...ev(id, fromVersion, toVersion), alias: 'canary', ...(share !== undefined ? { share } : {}) });
    expect(planRollback('m', 'canary', 4, [c(2, 4, 4, 0.5), c(1, null, 4, 0.1)])).toMatchObject({ from: 4, to: 4, share: { from: 0.5, to: 0.1 } });
    expect(planRollback('m', 'canary', 5, [c(3, 4, 5, 0.2), c(2, 4, 4, 0.5), c(1, null, 4, 0.1)])).toMatchObject({ from: 5, to: 4, share: { from: 0.2, to: 0.5 } });
    // Other aliases carry no share.
    expect(planRollback('m', 'champion', 3, [ev(3, 2, 3), ev(2, 1, 2)]).share).toBeUndefined();
    // A history without the earlier share (cut off by the listing's limit) is refused rather than guessed.
    expect(() => planRollback('m', 'canary', 5, [c(3, 4, 5, 0.2)])).toThrow(/cannot tell which share/);
  });
});
