/**
 * Models and versions in D1. Every function takes the database explicitly, so it can be tested
 * without HTTP. Pending versions are visible only to the write path (upload, finalize).
 */
import { MAX_VERSION, parseVersionText, type Manifest, type ManifestDraft, type ModelSummary, type VersionStatus } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';
import { listFiles, OBJECT_KEY, VISIBLE } from './version-files.ts';

interface VersionRow {
  name: string;
  version: number;
  status: VersionStatus;
  manifest: string;
  bytes: number;
  created_at: string;
  created_by?: string | null;
}


type StoredManifest = Omit<Manifest, 'status' | 'bytes'>;

function toManifest(row: VersionRow): Manifest {
  const stored = JSON.parse(row.manifest) as StoredManifest;
  return { ...stored, name: row.name, version: row.version, createdAt: row.created_at, status: row.status, bytes: row.bytes, ...(row.created_by ? { createdBy: row.created_by } : {}) };
}


export async function listModels(db: D1Database): Promise<ModelSummary[]> {
  const { results: models } = await db
    .prepare(`SELECT name, created_at, updated_at FROM models m WHERE EXISTS (SELECT 1 FROM versions v WHERE v.name = m.name AND v.${VISIBLE}) ORDER BY name`)
    .all<{ name: string; created_at: string; updated_at: string }>();
  const [counts, aliases] = await db.batch<{ name: string; n?: number; latest?: number | null; alias?: string; version?: number }>([
    db.prepare(`SELECT name, COUNT(*) AS n, MAX(version) AS latest FROM versions WHERE status = 'ready' GROUP BY name`),
    db.prepare(`SELECT name, alias, version FROM aliases ORDER BY name, alias`),
  ]);
  return models.map((m) => summarize(m, counts?.results ?? [], aliases?.results ?? []));
}

export async function getModel(db: D1Database, name: string): Promise<ModelSummary | null> {
  const [model, counts, aliases] = await db.batch<{ name: string; created_at: string; updated_at: string; n?: number; latest?: number | null; alias?: string; version?: number }>([
    db.prepare(`SELECT name, created_at, updated_at FROM models m WHERE name = ?1 AND EXISTS (SELECT 1 FROM versions v WHERE v.name = m.name AND v.${VISIBLE})`).bind(name),
    db.prepare(`SELECT name, COUNT(*) AS n, MAX(version) AS latest FROM versions WHERE name = ?1 AND status = 'ready' GROUP BY name`).bind(name),
    db.prepare(`SELECT name, alias, version FROM aliases WHERE name = ?1 ORDER BY alias`).bind(name),
  ]);
  const m = model?.results[0];
  return m ? summarize(m, counts?.results ?? [], aliases?.results ?? []) : null;
}

function summarize(
  m: { name: string; created_at: string; updated_at: string },
  counts: { name: string; n?: number; latest?: number | null }[],
  aliases: { name: string; alias?: string; version?: number }[],
): ModelSummary {
  const c = counts.find((r) => r.name === m.name);
  const map: Record<string, number> = {};
  for (const a of aliases) if (a.name === m.name && a.alias !== undefined && a.version !== undefined) map[a.alias] = a.version;
  return { name: m.name, versionCount: c?.n ?? 0, latestVersion: c?.latest ?? null, aliases: map, createdAt: m.created_at, updatedAt: m.updated_at };
}

/** Ready and archived versions, newest first. */
export async function listVersions(db: D1Database, name: string): Promise<Manifest[]> {
  const { results } = await db
    .prepare(`SELECT name, version, status, manifest, bytes, created_at, created_by FROM versions WHERE name = ?1 AND ${VISIBLE} ORDER BY version DESC`)
    .bind(name)
    .all<VersionRow>();
  return results.map(toManifest);
}

export async function getVersion(db: D1Database, name: string, version: number, opts: { includePending?: boolean } = {}): Promise<Manifest | null> {
  const row = await db
    .prepare(`SELECT name, version, status, manifest, bytes, created_at, created_by FROM versions WHERE name = ?1 AND version = ?2${opts.includePending ? '' : ` AND ${VISIBLE}`}`)
    .bind(name, version)
    .first<VersionRow>();
  return row ? toManifest(row) : null;
}

/** Like getVersion, but a missing version is a 404 with a message that says what exists. */
export async function requireVersion(db: D1Database, name: string, version: number, opts: { includePending?: boolean } = {}): Promise<Manifest> {
  const m = await getVersion(db, name, version, opts);
  if (!m) throw ApiError.notFound(`model ${name} has no version ${version}${opts.includePending ? '' : ' (pending versions are invisible until finalized)'}`);
  return m;
}

/** Which of `versions` name has (in any status). */
export async function existingVersions(db: D1Database, name: string, versions: readonly [number, number]): Promise<number[]> {
  const { results } = await db.prepare(`SELECT version FROM versions WHERE name = ?1 AND version IN (?2, ?3)`).bind(name, versions[0], versions[1]).all<{ version: number }>();
  return results.map((r) => r.version);
}

/** A version's labels (its manifest's), or null when it does not exist. */
export async function versionLabels(db: D1Database, name: string, version: number): Promise<string[] | null> {
  const row = await db.prepare(`SELECT manifest ->> '$.labels' AS labels FROM versions WHERE name = ?1 AND version = ?2`).bind(name, version).first<{ labels: string }>();
  return row ? (JSON.parse(row.labels) as string[]) : null;
}

/** name@version → labels, for the ready or archived versions among `pairs` (one D1 query). */
export async function visibleVersionLabels(db: D1Database, pairs: readonly (readonly [string, number])[]): Promise<Map<string, string[]>> {
  const { results } = await db
    .prepare(
      `SELECT name, version, manifest ->> '$.labels' AS labels FROM versions
       WHERE status IN ('ready', 'archived') AND (name, version) IN (SELECT value ->> '$[0]', value ->> '$[1]' FROM json_each(?1))`,
    )
    .bind(JSON.stringify(pairs))
    .all<{ name: string; version: number; labels: string }>();
  return new Map(results.map((r) => [`${r.name}@${r.version}`, JSON.parse(r.labels) as string[]]));
}

/** Whether name@version exists (ready or archived) and whether one of `aliases` points at it. */
export async function versionServedState(db: D1Database, name: string, version: number, aliases: readonly string[]): Promise<{ exists: boolean; served: boolean }> {
  const row = await db
    .prepare(
      `SELECT EXISTS (SELECT 1 FROM aliases a WHERE a.name = v.name AND a.version = v.version AND a.alias IN (SELECT value FROM json_each(?3))) AS served
       FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status IN ('ready', 'archived')`,
    )
    .bind(name, version, JSON.stringify(aliases))
    .first<{ served: number }>();
  return { exists: row !== null, served: row?.served === 1 };
}

/** How far past a model's highest version an explicit version may jump, so that automatic numbering never runs out. */
export const MAX_VERSION_JUMP = 1000;

/**
 * Records a new pending version and its declared files. The version is the draft's (at most
 * MAX_VERSION_JUMP past the highest ever created: 400 beyond), or one more than the highest version ever
 * created (pending included). A version that exists already is a 409.
 */
export async function createVersion(db: D1Database, draft: ManifestDraft, now = new Date().toISOString(), createdBy: string | null = null): Promise<Manifest> {
  const bytes = draft.files.reduce((s, f) => s + f.bytes, 0);
  for (let attempt = 0; ; attempt++) {
    let version = draft.version;
    const row = await db.prepare(`SELECT MAX(version) AS v FROM versions WHERE name = ?1`).bind(draft.name).first<{ v: number | null }>();
    const highest = row?.v ?? 0;
    if (version !== undefined && version > highest + MAX_VERSION_JUMP) {
      throw new ApiError(400, 'validation_failed', `version ${version} jumps more than ${MAX_VERSION_JUMP} past ${draft.name}'s highest version (${highest}), which would use up automatic numbering; omit "version" to get ${highest + 1}, or pick one up to ${highest + MAX_VERSION_JUMP}`, { path: 'version', highest, max: highest + MAX_VERSION_JUMP });
    }
    if (version === undefined) {
      version = highest + 1;
      if (version > MAX_VERSION) {
        throw ApiError.conflict(`model ${draft.name} has used every version number up to ${MAX_VERSION}; publish under a new model name`, { name: draft.name, max: MAX_VERSION });
      }
    }
    const createdAt = draft.createdAt ?? now;
    const stored: StoredManifest = {
      name: draft.name,
      version,
      labels: draft.labels,
      files: draft.files,
      evaluation: draft.evaluation,
      ...(draft.suite ? { suite: draft.suite } : {}),
      ...(draft.profile ? { profile: draft.profile } : {}),
      training: draft.training,
      createdAt,
    };
    try {
      await db.batch([
        db.prepare(`INSERT INTO models (name, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT (name) DO NOTHING`).bind(draft.name, now),
        db.prepare(`INSERT INTO versions (name, version, status, manifest, bytes, created_at, created_by) VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?6)`).bind(draft.name, version, JSON.stringify(stored), bytes, createdAt, createdBy),
        ...draft.files.map((f) =>
          db.prepare(`INSERT INTO files (name, version, path, sha256, bytes) VALUES (?1, ?2, ?3, ?4, ?5)`).bind(draft.name, version, f.path, f.sha256, f.bytes),
        ),
      ]);
      return { ...stored, status: 'pending', bytes, ...(createdBy ? { createdBy } : {}) };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // An explicit version that exists is the caller's conflict; an assigned one lost a race: retry.
      if (draft.version !== undefined || attempt >= 4) {
        throw ApiError.conflict(`model ${draft.name} already has version ${version}; versions are immutable: publish a new version (omit "version" to get the next number)`, { name: draft.name, version });
      }
    }
  }
}

export function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed|PRIMARY KEY/i.test(e.message);
}

/**
 * pending → ready, only when every declared file was uploaded with the declared sha256 and its
 * recorded R2 key is still the one in `verifiedKeys` (path → key: the objects the caller has just
 * checked in R2, see storage/files.ts checkStoredObjects). One conditional UPDATE decides, so of two
 * concurrent finalizes exactly one succeeds, and an upload recorded after the check makes it fail.
 */
export async function finalizeVersion(db: D1Database, name: string, version: number, verifiedKeys: ReadonlyMap<string, string>, now = new Date().toISOString()): Promise<Manifest> {
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE versions SET status = 'ready', finalized_at = ?3
         WHERE name = ?1 AND version = ?2 AND status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM files f WHERE f.name = ?1 AND f.version = ?2
                             AND (f.uploaded_sha256 IS NULL OR f.uploaded_sha256 <> f.sha256
                                  OR ${OBJECT_KEY} IS NOT (SELECT j.value FROM json_each(?4) j WHERE j.key = f.path)))`,
      )
      .bind(name, version, now, JSON.stringify(Object.fromEntries(verifiedKeys))),
    db.prepare(`UPDATE models SET updated_at = ?2 WHERE name = ?1 AND changes() = 1`).bind(name, now),
  ]);
  if (update?.meta.changes === 1) return requireVersion(db, name, version);

  const current = await getVersion(db, name, version, { includePending: true });
  if (!current) throw ApiError.notFound(`model ${name} has no version ${version}; create it first with POST …/models/${name}/versions`);
  if (current.status !== 'pending') {
    throw ApiError.conflict(`model ${name} version ${version} is already ${current.status}; finalize happens once`, { status: current.status });
  }
  const missing = (await listFiles(db, name, version)).filter((f) => f.uploaded_sha256 !== f.sha256 || verifiedKeys.get(f.path) !== f.object_key).map((f) => f.path);
  throw new ApiError(409, 'upload_incomplete', `model ${name} version ${version} is missing ${missing.length} file(s): ${missing.join(', ')}; PUT them, then finalize again`, { missing });
}

/**
 * ready → archived. Refused while an alias points at the version (move the alias first).
 * Archiving an archived version again is a no-op.
 */
export async function archiveVersion(db: D1Database, name: string, version: number, now = new Date().toISOString()): Promise<Manifest> {
  const r = await db
    .prepare(
      `UPDATE versions SET status = 'archived', archived_at = ?3
       WHERE name = ?1 AND version = ?2 AND status = 'ready'
         AND NOT EXISTS (SELECT 1 FROM aliases a WHERE a.name = ?1 AND a.version = ?2)`,
    )
    .bind(name, version, now)
    .run();
  const current = await getVersion(db, name, version, { includePending: true });
  if (r.meta.changes === 1 && current) return current;
  if (!current || current.status === 'pending') throw ApiError.notFound(`model ${name} has no finalized version ${version}`);
  if (current.status === 'archived') return current;
  const { results } = await db.prepare(`SELECT alias FROM aliases WHERE name = ?1 AND version = ?2 ORDER BY alias`).bind(name, version).all<{ alias: string }>();
  const aliases = results.map((a) => a.alias);
  throw ApiError.conflict(`model ${name} version ${version} is still the target of alias(es) ${aliases.join(', ')}; move or delete them before archiving`, { aliases });
}

/**
 * Deletes a pending version (one that was never finalized) and its file rows, in one batch that acts only
 * while it is still pending; returns the R2 keys of its recorded uploads (the caller deletes them). 404 when
 * there is no such version, 409 when it is ready or archived (finalized versions are immutable: archive them).
 */
export async function deletePendingVersion(db: D1Database, name: string, version: number): Promise<string[]> {
  const PENDING = `EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status = 'pending')`;
  const [keys, , deleted] = await db.batch<{ object_key: string }>([
    db.prepare(`SELECT ${OBJECT_KEY} AS object_key FROM files f WHERE f.name = ?1 AND f.version = ?2 AND f.uploaded_sha256 IS NOT NULL AND ${PENDING}`).bind(name, version),
    db.prepare(`DELETE FROM files WHERE name = ?1 AND version = ?2 AND ${PENDING}`).bind(name, version),
    db.prepare(`DELETE FROM versions WHERE name = ?1 AND version = ?2 AND status = 'pending'`).bind(name, version),
  ]);
  if (deleted!.meta.changes === 1) return keys!.results.map((r) => r.object_key);
  const current = await getVersion(db, name, version, { includePending: true });
  if (!current) throw ApiError.notFound(`model ${name} has no version ${version}`);
  throw ApiError.conflict(`model ${name} version ${version} is ${current.status}; only pending versions can be deleted (archive a finalized one)`, { status: current.status });
}

/** A ref is a version number or an alias name. */
export async function resolveRef(db: D1Database, name: string, ref: string): Promise<Manifest> {
  if (/^[0-9]/.test(ref)) {
    const version = parseVersionText(ref);
    if (version === null) throw ApiError.badRequest(`"${ref}" is not a version number (decimal digits without leading zeros, 1 to ${MAX_VERSION})`);
    return requireVersion(db, name, version);
  }
  const row = await db
    .prepare(
      `SELECT v.name, v.version, v.status, v.manifest, v.bytes, v.created_at, v.created_by
       FROM aliases a JOIN versions v ON v.name = a.name AND v.version = a.version
       WHERE a.name = ?1 AND a.alias = ?2`,
    )
    .bind(name, ref)
    .first<VersionRow>();
  if (!row) throw ApiError.notFound(`model ${name} has no alias "${ref}"`);
  return toManifest(row);
}
