import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Reachability } from './reachability.ts';

describe('Reachability', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A probe whose answers the test sets: true = the server answered, false = a network error. */
  function fakeServer(answers: boolean[]) {
    const calls: number[] = [];
    const probe = vi.fn(async () => {
      calls.push(Date.now());
      if (!(answers.shift() ?? true)) throw new TypeError('Failed to fetch');
    });
    return { probe, calls };
  }

  it('goes offline on a network error although navigator said online, and back online when a later probe is answered', async () => {
    const { probe } = fakeServer([false, false, true]);
    const changes: boolean[] = [];
    const r = new Reachability(true, { probe, onChange: (o) => changes.push(o), retryMs: 5000 });
    await r.check();
    expect(r.online).toBe(false);
    expect(changes).toEqual([false]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(r.online).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(r.online).toBe(true);
    expect(changes).toEqual([false, true]);
    // Online: no more probes.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probe).toHaveBeenCalledTimes(3);
  });

  it('an answered probe while online changes nothing; the offline event starts probing and the online event stops it', async () => {
    const { probe } = fakeServer([true, false]);
    const changes: boolean[] = [];
    const r = new Reachability(true, { probe, onChange: (o) => changes.push(o), retryMs: 1000 });
    await r.check();
    expect(changes).toEqual([]);
    r.set(false);
    expect(changes).toEqual([false]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(r.online).toBe(false);
    r.set(true);
    expect(changes).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it('starting offline probes on its own and runs one probe at a time', async () => {
    const { probe } = fakeServer([true]);
    const r = new Reachability(false, { probe, onChange: () => undefined, retryMs: 1000 });
    r.set(false); // navigator.onLine was false at start
    await Promise.all([r.check(), r.check()]);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(r.online).toBe(true);
  });
});
