/**
 * Aliases (champion, challenger, …) and their audit log. Every move is ONE D1 batch (a transaction)
 * that writes the alias_events row and the alias together, under the same condition, so the log
 * can never disagree with the alias.
 */
import { CANARY_ALIAS, shareProblem, type AliasEvent, type AliasRecord } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';

interface AliasRow {
  name: string;
  alias: string;
  version: number;
  updated_at: string;
  share: number | null;
}

interface EventRow {
  id: number;
  name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  reason: string | null;
  share: number | null;
  actor: string | null;
  created_by: string | null;
}

// `share` is only present on the canary (migration 0007), so other aliases' records keep their shape.
const toRecord = (r: AliasRow): AliasRecord => ({ name: r.name, alias: r.alias, version: r.version, updatedAt: r.updated_at, ...(r.share !== null ? { share: r.share } : {}) });
const toEvent = (r: EventRow): AliasEvent => ({
  id: r.id,
  name: r.name,
  alias: r.alias,
  fromVersion: r.from_version,
  toVersion: r.to_version,
  at: r.at,
  reason: r.reason,
  ...(r.share !== null ? { share: r.share } : {}),
  actor: r.actor,
  ...(r.created_by !== null ? { createdBy: r.created_by } : {}),
});

export async function listAliases(db: D1Database, name: string): Promise<AliasRecord[]> {
  const { results } = await db.prepare(`SELECT name, alias, version, updated_at, share FROM aliases WHERE name = ?1 ORDER BY alias`).bind(name).all<AliasRow>();
  return results.map(toRecord);
}

export async function getAlias(db: D1Database, name: string, alias: string): Promise<AliasRecord | null> {
  const row = await db.prepare(`SELECT name, alias, version, updated_at, share FROM aliases WHERE name = ?1 AND alias = ?2`).bind(name, alias).first<AliasRow>();
  return row ? toRecord(row) : null;
}

/** The model's canary and its share of the champion's traffic, or null when it has none. */
export async function getCanary(db: D1Database, name: string): Promise<{ version: number; share: number } | null> {
  const row = await db.prepare(`SELECT version, share FROM aliases WHERE name = ?1 AND alias = ?2`).bind(name, CANARY_ALIAS).first<{ version: number; share: number | null }>();
  return row ? { version: row.version, share: row.share ?? 0 } : null;
}

export interface SetAliasInput {
  name: string;
  alias: string;
  version: number;
  /** undefined: move unconditionally; null: the alias must not exist yet; n: it must point at n. */
  expectedVersion?: number | null;
  reason?: string | null;
  /** Required on (and only on) the `canary` alias: the share (0–1) of the champion's traffic it serves. */
  share?: number;
  /** With `expectedVersion`, on `canary`: the share it must have now (a compare-and-set of share changes too). */
  expectedShare?: number;
  /** Who moves it, for the audit log: 'operator' (routes), 'policy' (the hourly promotion policy). */
  actor?: string | null;
  /** The caller's name (API key name or 'REGISTRY_TOKEN'), for the audit log. */
  createdBy?: string | null;
}

/** 400 unless `share` is given exactly for the canary alias, from 0 to 1. */
function checkShare(input: SetAliasInput): number | null {
  if (input.alias !== CANARY_ALIAS) {
    if (input.share !== undefined || input.expectedShare !== undefined) {
      throw ApiError.badRequest(`only the "${CANARY_ALIAS}" alias carries a share; leave "share" out when moving "${input.alias}", or PUT …/aliases/${CANARY_ALIAS} with {version, share}`);
    }
    return null;
  }
  if (input.share === undefined) {
    throw ApiError.badRequest(`the "${CANARY_ALIAS}" alias needs a share: send {"version": N, "share": 0.1} to serve 10 % of the champion's traffic with version N (DELETE the alias to end the canary)`);
  }
  const problem = shareProblem(input.share) ?? (input.expectedShare !== undefined ? shareProblem(input.expectedShare)?.replace(/^share/, 'expectedShare') : null);
  if (problem) throw ApiError.badRequest(problem, { path: 'share' });
  if (input.expectedShare !== undefined && input.expectedVersion === undefined) {
    throw ApiError.badRequest('expectedShare only works together with expectedVersion (the compare-and-set checks both); send both or neither');
  }
  return input.share;
}

/**
 * Points `alias` at a ready version. 404 when the version does not exist (or is pending), 409 when
 * it is archived or when `expectedVersion` (and, for the canary, `expectedShare`) does not match the
 * alias's current state. 400 when a share is missing on the canary or given on another alias.
 */
export async function setAlias(db: D1Database, input: SetAliasInput, now = new Date().toISOString()): Promise<AliasRecord> {
  const { name, alias, version } = input;
  const share = checkShare(input);
  const checkExpected = input.expectedVersion !== undefined ? 1 : 0;
  const expected = input.expectedVersion ?? null;
  const checkShareNow = input.expectedShare !== undefined ? 1 : 0;
  const expectedShare = input.expectedShare ?? null;
  // ?1 name, ?2 alias, ?3 version, ?4 now, ?5 reason, ?6 check expected?, ?7 expected version (NULL = absent),
  // ?8 share, ?9 check expected share?, ?10 expected share, ?11 actor, ?12 created by
  const condition = `EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?3 AND v.status = 'ready')
    AND (?6 = 0 OR (SELECT a.version FROM aliases a WHERE a.name = ?1 AND a.alias = ?2) IS ?7)
    AND (?9 = 0 OR (SELECT a.share FROM aliases a WHERE a.name = ?1 AND a.alias = ?2) IS ?10)`;
  const args = [name, alias, version, now, input.reason ?? null, checkExpected, expected, share, checkShareNow, expectedShare, input.actor ?? null, input.createdBy ?? null];
  const [event] = await db.batch([
    db
      .prepare(
        `INSERT INTO alias_events (name, alias, from_version, to_version, at, reason, share, actor, created_by)
         SELECT ?1, ?2, (SELECT a.version FROM aliases a WHERE a.name = ?1 AND a.alias = ?2), ?3, ?4, ?5, ?8, ?11, ?12
         WHERE ${condition}`,
      )
      .bind(...args),
    db
      .prepare(
        `INSERT INTO aliases (name, alias, version, updated_at, share)
         SELECT ?1, ?2, ?3, ?4, ?8 WHERE ${condition}
         ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, share = excluded.share`,
      )
      .bind(...args.slice(0, 10)),
  ]);
  if (event?.meta.changes === 1) return { name, alias, version, updatedAt: now, ...(share !== null ? { share } : {}) };

  // Nothing was written: say why.
  const target = await db.prepare(`SELECT status FROM versions WHERE name = ?1 AND version = ?2`).bind(name, version).first<{ status: string }>();
  if (!target || target.status === 'pending') throw ApiError.notFound(`model ${name} has no finalized version ${version} to point "${alias}" at`);
  if (target.status !== 'ready') throw ApiError.conflict(`model ${name} version ${version} is ${target.status}; aliases may only point at ready versions`, { status: target.status });
  const current = await getAlias(db, name, alias);
  if (checkShareNow && current && current.version === expected && current.share !== expectedShare) {
    throw ApiError.conflict(`the ${alias} of ${name} serves share ${current.share ?? 'none'}, not the expected ${expectedShare}; re-read it and retry`, {
      expectedVersion: expected,
      currentVersion: current.version,
      expectedShare,
      currentShare: current.share ?? null,
    });
  }
  throw ApiError.conflict(
    `alias "${alias}" of ${name} points at ${current ? `version ${current.version}` : 'nothing'}, not the expected ${expected === null ? 'nothing' : `version ${expected}`}; re-read it and retry`,
    { expectedVersion: expected, currentVersion: current?.version ?? null },
  );
}

export interface DeleteAliasOptions {
  /** Compare-and-set: delete only while the alias points at this version (409 otherwise). */
  expectedVersion?: number;
  actor?: string | null;
  /** The caller's name (API key name or 'REGISTRY_TOKEN'), for the audit log. */
  createdBy?: string | null;
}

/** Deletes an alias (and logs it). 404 when it does not exist, 409 when it does not point at `expectedVersion`. */
export async function deleteAlias(db: D1Database, name: string, alias: string, reason: string | null = null, now = new Date().toISOString(), opts: DeleteAliasOptions = {}): Promise<void> {
  const cas = opts.expectedVersion === undefined ? 0 : 1;
  const expected = opts.expectedVersion ?? null;
  const [event] = await db.batch([
    db
      .prepare(
        `INSERT INTO alias_events (name, alias, from_version, to_version, at, reason, actor, created_by)
         SELECT name, alias, version, NULL, ?3, ?4, ?7, ?8 FROM aliases WHERE name = ?1 AND alias = ?2 AND (?5 = 0 OR version = ?6)`,
      )
      .bind(name, alias, now, reason, cas, expected, opts.actor ?? null, opts.createdBy ?? null),
    db.prepare(`DELETE FROM aliases WHERE name = ?1 AND alias = ?2 AND (?3 = 0 OR version = ?4)`).bind(name, alias, cas, expected),
  ]);
  if (event?.meta.changes === 1) return;
  const current = await getAlias(db, name, alias);
  if (!current) throw ApiError.notFound(`model ${name} has no alias "${alias}"`);
  throw ApiError.conflict(`alias "${alias}" of ${name} points at version ${current.version}, not the expected version ${expected}; re-read it and retry`, { expectedVersion: expected, currentVersion: current.version });
}

/** The alias's moves, newest first. */
export async function aliasHistory(db: D1Database, name: string, alias: string, limit = 100): Promise<AliasEvent[]> {
  const { results } = await db
    .prepare(`SELECT id, name, alias, from_version, to_version, at, reason, share, actor, created_by FROM alias_events WHERE name = ?1 AND alias = ?2 ORDER BY id DESC LIMIT ?3`)
    .bind(name, alias, limit)
    .all<EventRow>();
  return results.map(toEvent);
}

export interface PromoteInput {
  name: string;
  /** The alias whose version becomes champion (canary or challenger); it is removed in the same transaction. */
  from: string;
  version: number;
  /** Compare-and-set on the champion: the version it must point at now (null: there must be none). */
  expectedChampion: number | null;
  reason: string;
  actor: string;
}

/**
 * Promotes `from` to champion in ONE transaction, compare-and-set on BOTH aliases: champion := version
 * and `from` removed, only while champion still points at `expectedChampion` and `from` at `version`
 * (and the version is ready). Two audit rows (the champion's records the previous champion, so
 * `pnpm registry rollback NAME` undoes it). Returns false, moving nothing, when either alias moved.
 */
export async function promoteAlias(db: D1Database, p: PromoteInput, now = new Date().toISOString()): Promise<boolean> {
  // ?1 name, ?2 from alias, ?3 version, ?4 expected champion (NULL = none), ?5 now, ?6 reason, ?7 actor
  const condition = `EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?3 AND v.status = 'ready')
    AND (SELECT a.version FROM aliases a WHERE a.name = ?1 AND a.alias = 'champion') IS ?4
    AND (SELECT a.version FROM aliases a WHERE a.name = ?1 AND a.alias = ?2) = ?3`;
  const args = [p.name, p.from, p.version, p.expectedChampion, now, p.reason, p.actor];
  const [event] = await db.batch([
    db.prepare(`INSERT INTO alias_events (name, alias, from_version, to_version, at, reason, actor) SELECT ?1, 'champion', ?4, ?3, ?5, ?6, ?7 WHERE ${condition}`).bind(...args),
    db.prepare(`INSERT INTO alias_events (name, alias, from_version, to_version, at, reason, actor) SELECT ?1, ?2, ?3, NULL, ?5, ?6, ?7 WHERE ${condition}`).bind(...args),
    db
      .prepare(
        `INSERT INTO aliases (name, alias, version, updated_at) SELECT ?1, 'champion', ?3, ?5 WHERE ${condition} AND ?7 IS NOT NULL
         ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      )
      .bind(...args),
    // The champion has moved now, so the condition no longer holds: this transaction's own removal row
    // (the newest event, written above only if the condition held) is the proof that it did.
    db
      .prepare(
        `DELETE FROM aliases WHERE name = ?1 AND alias = ?2 AND version = ?3 AND EXISTS (
           SELECT 1 FROM alias_events e WHERE e.id = (SELECT MAX(id) FROM alias_events)
             AND e.name = ?1 AND e.alias = ?2 AND e.from_version = ?3 AND e.to_version IS NULL AND e.at = ?5 AND e.actor IS ?7)`,
      )
      .bind(...args),
  ]);
  return event?.meta.changes === 1;
}

/** A version some alias points at, with its aliases (JSON array) and the manifest figures the drift report needs. */
export interface AliasedVersion {
  name: string;
  version: number;
  aliases: string;
  profile: string | null;
  ece: number | null;
  accuracy: number | null;
}

/** Every version an alias points at (the hourly job's list), by name and version. */
export async function listAliasedVersions(db: D1Database): Promise<AliasedVersion[]> {
  const { results } = await db
    .prepare(
      `SELECT a.name, a.version, json_group_array(a.alias) AS aliases, v.manifest -> '$.profile' AS profile,
            v.manifest ->> '$.evaluation.ece' AS ece, v.manifest ->> '$.evaluation.accuracy' AS accuracy
     FROM aliases a JOIN versions v ON v.name = a.name AND v.version = a.version
     GROUP BY a.name, a.version ORDER BY a.name, a.version`,
    )
    .all<AliasedVersion>();
  return results;
}
