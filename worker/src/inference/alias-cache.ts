/**
 * The per-isolate cache of what aliases and versions name, shared by request resolution
 * (serving/resolve.ts) and shadow scoring (monitor/shadow.ts). Aliases (`name@alias` → version),
 * explicit versions (exists? served by default?) and each model's canary are cached as plain data and
 * refreshed from D1:
 * - younger than ALIAS_FRESH_MS: used as is (the hot path is one Map lookup);
 * - older: still used, and one request refreshes it in the background (`defer`, i.e. waitUntil);
 * - older than ALIAS_MAX_AGE_MS: looked up before answering.
 * So an alias move (a rollback, say) reaches every answer of every isolate within ALIAS_MAX_AGE_MS,
 * without a D1 read on the hot path. POST /api/v1/admin/reload re-checks this isolate at once. When a
 * lookup finds that an alias moved, the sessions of the version it left are dropped from the model
 * cache. The canary and its share are cached per model in the same way (including "no canary", so a
 * model without one costs no D1 read either).
 */
import { CANARY_ALIAS } from '@sentiment-edge/registry';
import { getAlias, getCanary } from '../db/aliases.ts';
import { versionServedState } from '../db/versions.ts';
import { modelCache } from './model-cache.ts';

/** Cached lookups younger than this are used without any D1 read. */
export const ALIAS_FRESH_MS = 1_000;
/** No answer uses a lookup older than this: the bound on how long an alias move takes to reach /predict. */
export const ALIAS_MAX_AGE_MS = 4_000;
export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';
/** The aliases that serve anonymous traffic by default: the champion, and the canary for its share. */
export const SERVED_ALIASES: readonly string[] = [CHAMPION, CANARY_ALIAS];

interface Lookup<T> {
  value: T;
  checkedAt: number;
  refreshing: boolean;
}

/** `name@alias` → version (null: no such alias). */
const aliasCache = new Map<string, Lookup<number | null>>();
/** `name@version` → whether it exists (ready or archived) and whether champion or canary points at it. */
const versionCache = new Map<string, Lookup<{ exists: boolean; served: boolean }>>();
/** `name` → its canary and share (`canary: null`: none; kept, unlike alias misses, since it is the usual case). */
const canaryCache = new Map<string, Lookup<{ canary: { version: number; share: number } | null }>>();

export interface LookupOptions {
  now?: number;
  /** Runs a background refresh after the answer (the request's waitUntil); without it, refreshes are awaited. */
  defer?: (work: Promise<unknown>) => void;
}

/**
 * A cached lookup: fresh → as is; stale → as is plus a background refresh; too old, missing or
 * `force` → awaited. `apply` receives each new value with the previous one (to retire a version an
 * alias left).
 */
async function cached<T>(
  cache: Map<string, Lookup<T>>,
  k: string,
  fetch: () => Promise<T>,
  opts: LookupOptions,
  apply?: (value: T, previous: T | undefined) => void,
  force = false,
): Promise<T> {
  const now = opts.now ?? Date.now();
  const hit = force ? undefined : cache.get(k);
  const refresh = async () => {
    const value = await fetch();
    const previous = cache.get(k)?.value;
    // A miss is not kept: what is created next must be found at once.
    if (value === null) cache.delete(k);
    else cache.set(k, { value, checkedAt: now, refreshing: false });
    apply?.(value, previous);
    return value;
  };
  if (hit && now - hit.checkedAt < ALIAS_FRESH_MS) return hit.value;
  if (hit && now - hit.checkedAt < ALIAS_MAX_AGE_MS && opts.defer) {
    if (!hit.refreshing) {
      hit.refreshing = true;
      opts.defer(
        refresh().catch((e: unknown) => {
          hit.refreshing = false;
          throw e;
        }),
      );
    }
    return hit.value;
  }
  return refresh();
}

/** Whether name@version exists (ready or archived) and whether champion or canary points at it (cached as described above). */
export async function versionServed(db: D1Database, name: string, version: number, opts: LookupOptions = {}): Promise<{ exists: boolean; served: boolean }> {
  const k = `${name}@${version}`;
  const v = await cached(versionCache, k, () => versionServedState(db, name, version, SERVED_ALIASES), opts);
  if (!v.exists) versionCache.delete(k); // a version published later must be found at once
  return v;
}

/** The alias's version (cached as described above), or null when it does not exist. `force`: look up now. */
export async function aliasVersion(db: D1Database, name: string, alias: string, opts: LookupOptions = {}, force = false): Promise<number | null> {
  const k = `${name}@${alias}`;
  return cached(
    aliasCache,
    k,
    async () => (await getAlias(db, name, alias))?.version ?? null,
    opts,
    (version, previous) => {
      if (previous !== undefined && previous !== null && previous !== version) retire(name, previous, k);
    },
    force,
  );
}

/** The model's canary and share (cached as described above), or null. `force`: look up now. */
export async function canaryOf(db: D1Database, name: string, opts: LookupOptions = {}, force = false): Promise<{ version: number; share: number } | null> {
  const entry = await cached(
    canaryCache,
    name,
    async () => ({ canary: await getCanary(db, name) }),
    opts,
    (value, previous) => {
      const was = previous?.canary?.version;
      if (was !== undefined && was !== value.canary?.version) retire(name, was, `${name}@${CANARY_ALIAS}#share`);
    },
    force,
  );
  return entry.canary;
}

/** Drops a version's sessions unless another cached alias (or the canary) still points at it. */
function retire(name: string, version: number, exceptKey: string): void {
  for (const [k, e] of aliasCache) if (k !== exceptKey && k.startsWith(`${name}@`) && e.value === version) return;
  if (exceptKey !== `${name}@${CANARY_ALIAS}#share` && canaryCache.get(name)?.value.canary?.version === version) return;
  modelCache.evictVersion(name, version);
}

export interface ReloadResult {
  /** Aliases looked up again: `name@alias` → version (null: gone). */
  aliases: Record<string, number | null>;
  /** Sessions dropped because their alias moved away. */
  evicted: string[];
}

/** Forgets cached lookups and re-checks each alias at once (evicting sessions whose alias moved). */
export async function reloadAliases(db: D1Database, defaultModel: string): Promise<ReloadResult> {
  const keys = new Set([...aliasCache.keys(), `${defaultModel}@${CHAMPION}`]);
  versionCache.clear();
  const before = new Set(modelCache.loaded().map((l) => `${l.model}@${l.version}:${l.precision}`));
  const aliases: Record<string, number | null> = {};
  for (const k of keys) {
    const at = k.indexOf('@');
    aliases[k] = await aliasVersion(db, k.slice(0, at), k.slice(at + 1), {}, true);
  }
  for (const name of [...canaryCache.keys()]) {
    const canary = await canaryOf(db, name, {}, true);
    aliases[`${name}@${CANARY_ALIAS}`] = canary?.version ?? null;
  }
  const after = new Set(modelCache.loaded().map((l) => `${l.model}@${l.version}:${l.precision}`));
  return { aliases, evicted: [...before].filter((k) => !after.has(k)) };
}

/** Forgets everything (tests). */
export function resetResolver(): void {
  aliasCache.clear();
  versionCache.clear();
  canaryCache.clear();
}
