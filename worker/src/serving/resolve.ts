/**
 * Which model version a request means. Aliases (`NAME@ALIAS`, and plain `NAME` = its champion) and
 * explicit versions (`NAME@VERSION`) are cached per isolate as plain data and refreshed from D1:
 * - younger than ALIAS_FRESH_MS: used as is (the hot path is one Map lookup);
 * - older: still used, and one request refreshes it in the background (`defer`, i.e. waitUntil);
 * - older than ALIAS_MAX_AGE_MS: looked up before answering.
 * So an alias move (a rollback, say) reaches every answer of every isolate within ALIAS_MAX_AGE_MS,
 * without a D1 read on the hot path. POST /api/v1/admin/reload re-checks this isolate at once. When a
 * lookup finds that an alias moved, the sessions of the version it left are dropped.
 *
 * Anonymous requests get only what the model's aliases serve by default (issue 21): its champion and its
 * canary (`NAME`, `NAME@champion`, `NAME@canary`, or those versions by number); other aliases
 * (`NAME@challenger`, …) and versions need the registry token (`operator`). With the int8-only rule of
 * predict.ts, anonymous traffic can reach at most the champion and canary sessions of each model (plus
 * the challenger's, loaded by shadow scoring), so it cannot cycle through keys and evict other sessions.
 *
 * Canary: a champion request (`NAME`, `NAME@champion`) whose client key falls in the canary's share
 * (registry canary.ts `servesCanary`) is answered by the `canary` alias's version, with ref
 * `NAME@canary`. The canary and its share are cached per model in the same way (including "no
 * canary", so a model without one costs no D1 read either).
 */
import { CANARY_ALIAS, parseModelRef, RefError, servesCanary } from '@sentiment-edge/registry';
import { getAlias, getCanary } from '../db/aliases.ts';
import { getModel } from '../db/models.ts';
import { ApiError } from '../errors.ts';
import { modelCache } from '../inference/models.ts';

/** Cached lookups younger than this are used without any D1 read. */
export const ALIAS_FRESH_MS = 1_000;
/** No answer uses a lookup older than this: the bound on how long an alias move takes to reach /predict. */
export const ALIAS_MAX_AGE_MS = 4_000;
export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';
/** The aliases that serve anonymous traffic by default: the champion, and the canary for its share. */
export const SERVED_ALIASES: readonly string[] = [CHAMPION, CANARY_ALIAS];
/** Retry-After (seconds) sent with 503 while a model has no champion. */
export const NO_CHAMPION_RETRY_S = 30;

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

export interface Resolved {
  name: string;
  version: number;
  /** How the request named it: `sentiment@champion`, `sentiment@3`. */
  ref: string;
}

export interface ResolveOptions {
  now?: number;
  /** Runs a background refresh after the answer (the request's waitUntil); without it, refreshes are awaited. */
  defer?: (work: Promise<unknown>) => void;
  /** Whether the request carries the registry token: without it, only what the aliases serve by default (SERVED_ALIASES). */
  operator?: boolean;
  /** The client's key for the canary share (registry canary.ts); without one, champion requests get the champion. */
  clientKey?: string | null;
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
  opts: ResolveOptions,
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

/** Resolves a request's `model` (or the default model's champion). Throws 400/401/403/404/503 ApiErrors. */
export async function resolveModel(db: D1Database, ref: string | undefined, defaultModel: string, opts: ResolveOptions = {}): Promise<Resolved> {
  let parsed;
  try {
    parsed = parseModelRef(ref ?? defaultModel);
  } catch (e) {
    if (e instanceof RefError) throw ApiError.badRequest(e.message);
    throw e;
  }
  if (parsed.kind === 'version') {
    const { name, version } = parsed;
    const k = `${name}@${version}`;
    const v = await cached(versionCache, k, () => versionState(db, name, version), opts);
    if (!v.exists) {
      versionCache.delete(k); // a version published later must be found at once
      const model = await getModel(db, name);
      throw ApiError.notFound(model ? `model ${name} has no version ${version} (latest ready: ${model.latestVersion ?? 'none'})` : `no model named "${name}"`);
    }
    if (!v.served && !opts.operator) {
      throw new ApiError(
        401,
        'unauthorized',
        `version ${version} of ${name} is neither its champion nor its canary; anonymous requests may use ${name} (its champion) or ${name}@canary. Send "Authorization: Bearer <REGISTRY_TOKEN>" to load other versions`,
        { name, version },
        { 'WWW-Authenticate': 'Bearer realm="sentiment-edge"' },
      );
    }
    return { name, version, ref: k };
  }
  const alias = parsed.kind === 'alias' ? parsed.alias : CHAMPION;
  if (!opts.operator && !SERVED_ALIASES.includes(alias)) {
    throw new ApiError(
      401,
      'unauthorized',
      `${parsed.name}@${alias} is not served to anonymous requests: they get what the model's aliases serve by default (${parsed.name}, ${parsed.name}@champion, ${parsed.name}@canary). Send "Authorization: Bearer <REGISTRY_TOKEN>" to use other aliases`,
      { name: parsed.name, alias },
      { 'WWW-Authenticate': 'Bearer realm="sentiment-edge"' },
    );
  }
  const version = await aliasVersion(db, parsed.name, alias, opts);
  if (version !== null) {
    if (alias === CHAMPION && opts.clientKey) {
      const canary = await canaryOf(db, parsed.name, opts);
      if (canary && servesCanary(opts.clientKey, parsed.name, canary.share)) return { name: parsed.name, version: canary.version, ref: `${parsed.name}@${CANARY_ALIAS}` };
    }
    return { name: parsed.name, version, ref: `${parsed.name}@${alias}` };
  }

  const model = await getModel(db, parsed.name);
  if (parsed.kind === 'default' && (model || ref === undefined)) {
    // The model exists (or is the deployment's default) but nothing is promoted yet: a temporary state.
    throw new ApiError(
      503,
      'not_ready',
      `model ${parsed.name} has no champion yet; publish a version and point the "champion" alias at it (PUT ${'/api/v1/models/'}${parsed.name}/aliases/champion)`,
      { model: parsed.name },
      { 'Retry-After': String(NO_CHAMPION_RETRY_S) },
    );
  }
  if (!model) throw ApiError.notFound(`no model named "${parsed.name}"`);
  throw ApiError.notFound(`model ${parsed.name} has no alias "${alias}" (aliases: ${Object.keys(model.aliases).join(', ') || 'none'})`);
}

async function versionState(db: D1Database, name: string, version: number): Promise<{ exists: boolean; served: boolean }> {
  const row = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM aliases a WHERE a.name = v.name AND a.version = v.version AND a.alias IN (SELECT value FROM json_each(?3))) AS served
       FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status IN ('ready', 'archived')`,
    )
    .bind(name, version, JSON.stringify(SERVED_ALIASES))
    .first<{ served: number }>();
  return { exists: row !== null, served: row?.served === 1 };
}

/** The alias's version (cached as described above), or null when it does not exist. `force`: look up now. */
export async function aliasVersion(db: D1Database, name: string, alias: string, opts: ResolveOptions = {}, force = false): Promise<number | null> {
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
export async function canaryOf(db: D1Database, name: string, opts: ResolveOptions = {}, force = false): Promise<{ version: number; share: number } | null> {
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
