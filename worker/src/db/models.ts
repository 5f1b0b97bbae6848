/**
 * Models and versions in D1. Every function takes the database explicitly, so it can be tested
 * without HTTP. Pending versions are visible only to the write path (upload, finalize).
 */
import type { Manifest, ManifestDraft, ModelSummary, VersionStatus } from '@sentiment-edge/registry';
import { ApiError } from '../errors.ts';

interface VersionRow {
  name: string;
  version: number;
  status: VersionStatus;
  manifest: string;
  bytes: number;
  created_at: string;
}

export interface FileRow {
  path: string;
  sha256: string;
  bytes: number;
  uploaded_sha256: string | null;
  uploaded_at: string | null;
}

type StoredManifest = Omit<Manifest, 'status' | 'bytes'>;

function toManifest(row: VersionRow): Manifest {
  const stored = JSON.parse(row.manifest) as StoredManifest;
  return { ...stored, name: row.name, version: row.version, createdAt: row.created_at, status: row.status, bytes: row.bytes };
}

const VISIBLE = `status IN ('ready', 'archived')`;

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
    .prepare(`SELECT name, version, status, manifest, bytes, created_at FROM versions WHERE name = ?1 AND ${VISIBLE} ORDER BY version DESC`)
    .bind(name)
    .all<VersionRow>();
  return results.map(toManifest);
}

export async function getVersion(db: D1Database, name: string, version: number, opts: { includePending?: boolean } = {}): Promise<Manifest | null> {
  const row = await db
    .prepare(`SELECT name, version, status, manifest, bytes, created_at FROM versions WHERE name = ?1 AND version = ?2${opts.includePending ? '' : ` AND ${VISIBLE}`}`)
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

/**
 * Records a new pending version and its declared files. The version is the draft's, or one more
 * than the highest version ever created (pending included). A version that exists already is a 409.
 */
export async function createVersion(db: D1Database, draft: ManifestDraft, now = new Date().toISOString()): Promise<Manifest> {
  const bytes = draft.files.reduce((s, f) => s + f.bytes, 0);
  for (let attempt = 0; ; attempt++) {
    let version = draft.version;
    if (version === undefined) {
      const row = await db.prepare(`SELECT MAX(version) AS v FROM versions WHERE name = ?1`).bind(draft.name).first<{ v: number | null }>();
      version = (row?.v ?? 0) + 1;
    }
    const createdAt = draft.createdAt ?? now;
    const stored: StoredManifest = {
      name: draft.name,
      version,
      labels: draft.labels,
      files: draft.files,
      evaluation: draft.evaluation,
      ...(draft.suite ? { suite: draft.suite } : {}),
      training: draft.training,
      createdAt,
    };
    try {
      await db.batch([
        db.prepare(`INSERT INTO models (name, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT (name) DO NOTHING`).bind(draft.name, now),
        db.prepare(`INSERT INTO versions (name, version, status, manifest, bytes, created_at) VALUES (?1, ?2, 'pending', ?3, ?4, ?5)`).bind(draft.name, version, JSON.stringify(stored), bytes, createdAt),
        ...draft.files.map((f) =>
          db.prepare(`INSERT INTO files (name, version, path, sha256, bytes) VALUES (?1, ?2, ?3, ?4, ?5)`).bind(draft.name, version, f.path, f.sha256, f.bytes),
        ),
      ]);
      return { ...stored, status: 'pending', bytes };
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

export async function listFiles(db: D1Database, name: string, version: number): Promise<FileRow[]> {
  const { results } = await db
    .prepare(`SELECT path, sha256, bytes, uploaded_sha256, uploaded_at FROM files WHERE name = ?1 AND version = ?2 ORDER BY path`)
    .bind(name, version)
    .all<FileRow>();
  return results;
}

export async function getFile(db: D1Database, name: string, version: number, path: string): Promise<FileRow | null> {
  return db
    .prepare(`SELECT path, sha256, bytes, uploaded_sha256, uploaded_at FROM files WHERE name = ?1 AND version = ?2 AND path = ?3`)
    .bind(name, version, path)
    .first<FileRow>();
}

/**
 * Records verified bytes for a file of a pending version. Returns false when the version is no
 * longer pending (finalized meanwhile): the caller must not report success then.
 */
export async function markFileUploaded(db: D1Database, name: string, version: number, path: string, sha256: string, now = new Date().toISOString()): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE files SET uploaded_sha256 = ?4, uploaded_at = ?5
       WHERE name = ?1 AND version = ?2 AND path = ?3
         AND EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status = 'pending')`,
    )
    .bind(name, version, path, sha256, now)
    .run();
  return r.meta.changes === 1;
}

/**
 * Forgets a file's verified upload before new bytes stream in, so finalize cannot succeed while
 * they do. Returns false when the version is no longer pending (its files are then immutable).
 */
export async function clearFileUpload(db: D1Database, name: string, version: number, path: string): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE files SET uploaded_sha256 = NULL, uploaded_at = NULL
       WHERE name = ?1 AND version = ?2 AND path = ?3
         AND EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status = 'pending')`,
    )
    .bind(name, version, path)
    .run();
  return r.meta.changes === 1;
}

/**
 * pending → ready, only when every declared file was uploaded with the declared sha256. One
 * conditional UPDATE decides, so of two concurrent finalizes exactly one succeeds.
 */
export async function finalizeVersion(db: D1Database, name: string, version: number, now = new Date().toISOString()): Promise<Manifest> {
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE versions SET status = 'ready', finalized_at = ?3
         WHERE name = ?1 AND version = ?2 AND status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM files f WHERE f.name = ?1 AND f.version = ?2
                             AND (f.uploaded_sha256 IS NULL OR f.uploaded_sha256 <> f.sha256))`,
      )
      .bind(name, version, now),
    db.prepare(`UPDATE models SET updated_at = ?2 WHERE name = ?1 AND changes() = 1`).bind(name, now),
  ]);
  if (update?.meta.changes === 1) return requireVersion(db, name, version);

  const current = await getVersion(db, name, version, { includePending: true });
  if (!current) throw ApiError.notFound(`model ${name} has no version ${version}; create it first with POST …/models/${name}/versions`);
  if (current.status !== 'pending') {
    throw ApiError.conflict(`model ${name} version ${version} is already ${current.status}; finalize happens once`, { status: current.status });
  }
  const missing = (await listFiles(db, name, version)).filter((f) => f.uploaded_sha256 !== f.sha256).map((f) => f.path);
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

/** A ref is a version number or an alias name. */
export async function resolveRef(db: D1Database, name: string, ref: string): Promise<Manifest> {
  if (/^[0-9]+$/.test(ref)) {
    const version = Number(ref);
    if (!Number.isSafeInteger(version) || version < 1) throw ApiError.badRequest(`"${ref}" is not a version number (versions start at 1)`);
    return requireVersion(db, name, version);
  }
  const row = await db
    .prepare(
      `SELECT v.name, v.version, v.status, v.manifest, v.bytes, v.created_at
       FROM aliases a JOIN versions v ON v.name = a.name AND v.version = a.version
       WHERE a.name = ?1 AND a.alias = ?2`,
    )
    .bind(name, ref)
    .first<VersionRow>();
  if (!row) throw ApiError.notFound(`model ${name} has no alias "${ref}"`);
  return toManifest(row);
}
