/**
 * Which model version a request means. `NAME@VERSION` is checked once (versions are immutable);
 * `NAME@ALIAS` and plain `NAME` (= its champion) are looked up in D1 at most every ALIAS_TTL_MS per
 * isolate, or at once after POST /api/v1/admin/reload. When a lookup finds that an alias moved, the
 * sessions of the version it left are dropped from this isolate's model cache.
 */
import { parseModelRef, RefError } from '@sentiment-edge/registry';
import { getAlias } from '../db/aliases.ts';
import { getModel, getVersion } from '../db/models.ts';
import { ApiError } from '../errors.ts';
import { modelCache } from '../inference/models.ts';

export const ALIAS_TTL_MS = 60_000;
export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';
/** Retry-After (seconds) sent with 503 while a model has no champion. */
export const NO_CHAMPION_RETRY_S = 30;

interface AliasEntry {
  version: number;
  checkedAt: number;
}

const aliasCache = new Map<string, AliasEntry>();
/** name@version pairs known to exist (ready or archived). */
const knownVersions = new Set<string>();

export interface Resolved {
  name: string;
  version: number;
  /** How the request named it: `sentiment@champion`, `sentiment@3`. */
  ref: string;
}

/** Resolves a request's `model` (or the default model's champion). Throws 400/404/503 ApiErrors. */
export async function resolveModel(db: D1Database, ref: string | undefined, defaultModel: string, now = Date.now()): Promise<Resolved> {
  let parsed;
  try {
    parsed = parseModelRef(ref ?? defaultModel);
  } catch (e) {
    if (e instanceof RefError) throw ApiError.badRequest(e.message);
    throw e;
  }
  if (parsed.kind === 'version') {
    const k = `${parsed.name}@${parsed.version}`;
    if (!knownVersions.has(k)) {
      const v = await getVersion(db, parsed.name, parsed.version);
      if (!v) {
        const model = await getModel(db, parsed.name);
        throw ApiError.notFound(model ? `model ${parsed.name} has no version ${parsed.version} (latest ready: ${model.latestVersion ?? 'none'})` : `no model named "${parsed.name}"`);
      }
      knownVersions.add(k);
    }
    return { name: parsed.name, version: parsed.version, ref: k };
  }
  const alias = parsed.kind === 'alias' ? parsed.alias : CHAMPION;
  const version = await aliasVersion(db, parsed.name, alias, now);
  if (version !== null) return { name: parsed.name, version, ref: `${parsed.name}@${alias}` };

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

/** The alias's version (cached for ALIAS_TTL_MS), or null when it does not exist. */
export async function aliasVersion(db: D1Database, name: string, alias: string, now = Date.now(), force = false): Promise<number | null> {
  const k = `${name}@${alias}`;
  const cached = aliasCache.get(k);
  if (cached && !force && now - cached.checkedAt < ALIAS_TTL_MS) return cached.version;
  const row = await getAlias(db, name, alias);
  if (cached && cached.version !== row?.version) retire(name, cached.version, k);
  if (!row) {
    aliasCache.delete(k);
    return null;
  }
  aliasCache.set(k, { version: row.version, checkedAt: now });
  return row.version;
}

/** Drops a version's sessions unless another cached alias still points at it. */
function retire(name: string, version: number, exceptKey: string): void {
  for (const [k, e] of aliasCache) if (k !== exceptKey && k.startsWith(`${name}@`) && e.version === version) return;
  modelCache.evictVersion(name, version);
}

export interface ReloadResult {
  /** Aliases looked up again: `name@alias` → version (null: gone). */
  aliases: Record<string, number | null>;
  /** Sessions dropped because their alias moved away. */
  evicted: string[];
}

/** Forgets cached alias lookups and re-checks each at once (evicting sessions whose alias moved). */
export async function reloadAliases(db: D1Database, defaultModel: string): Promise<ReloadResult> {
  const keys = new Set([...aliasCache.keys(), `${defaultModel}@${CHAMPION}`]);
  const before = new Set(modelCache.loaded().map((l) => `${l.model}@${l.version}:${l.precision}`));
  const aliases: Record<string, number | null> = {};
  for (const k of keys) {
    const at = k.indexOf('@');
    aliases[k] = await aliasVersion(db, k.slice(0, at), k.slice(at + 1), Date.now(), true);
  }
  const after = new Set(modelCache.loaded().map((l) => `${l.model}@${l.version}:${l.precision}`));
  return { aliases, evicted: [...before].filter((k) => !after.has(k)) };
}

/** Forgets everything (tests). */
export function resetResolver(): void {
  aliasCache.clear();
  knownVersions.clear();
}
