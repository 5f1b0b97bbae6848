/**
 * Which model version a request means: `NAME@ALIAS`, plain `NAME` (= its champion) or `NAME@VERSION`,
 * looked up through the per-isolate cache of inference/alias-cache.ts (no D1 read on the hot path).
 *
 * Anonymous requests get only what the model's aliases serve by default: its champion and its
 * canary (`NAME`, `NAME@champion`, `NAME@canary`, or those versions by number); other aliases
 * (`NAME@challenger`, …) and versions need the registry token (`operator`). With the int8-only rule of
 * predict.ts, anonymous traffic can reach at most the champion and canary sessions of each model (plus
 * the challenger's, loaded by shadow scoring), so it cannot cycle through keys and evict other sessions.
 *
 * Canary: a champion request (`NAME`, `NAME@champion`) whose client key falls in the canary's share
 * (registry canary.ts `servesCanary`) is answered by the `canary` alias's version, with ref
 * `NAME@canary`.
 */
import { CANARY_ALIAS, parseModelRef, RefError, servesCanary } from '@sentiment-edge/registry';
import { getModel } from '../db/versions.ts';
import { ApiError } from '../errors.ts';
import { aliasVersion, canaryOf, CHAMPION, SERVED_ALIASES, versionServed, type LookupOptions } from '../inference/alias-cache.ts';

/** Retry-After (seconds) sent with 503 while a model has no champion. */
export const NO_CHAMPION_RETRY_S = 30;

export interface Resolved {
  name: string;
  version: number;
  /** How the request named it: `sentiment@champion`, `sentiment@3`. */
  ref: string;
}

export interface ResolveOptions extends LookupOptions {
  /** Whether the request carries the registry token: without it, only what the aliases serve by default (SERVED_ALIASES). */
  operator?: boolean;
  /** The client's key for the canary share (registry canary.ts); without one, champion requests get the champion. */
  clientKey?: string | null;
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
    const v = await versionServed(db, name, version, opts);
    if (!v.exists) {
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
