/**
 * The files of model versions in D1 (table `files`): their declared sha256 and bytes, the verified
 * upload of each (sha256 and R2 key), and the reads that downloads and the model loader use.
 */

/** Versions visible to readers (downloads, the model loader, listings): ready or archived. */
export const VISIBLE = `status IN ('ready', 'archived')`;

export interface FileRow {
  path: string;
  sha256: string;
  bytes: number;
  uploaded_sha256: string | null;
  uploaded_at: string | null;
  /** The R2 key of the verified upload (the pre-0003 key for files uploaded before per-attempt keys). */
  object_key: string;
}

/**
 * The R2 key of a file's verified bytes, as SQL over `files f`: uploads since migration 0003 record
 * their own per-attempt key; older ones live at models/<name>/<version>/<path> (storage/files.ts objectKey).
 */
export const OBJECT_KEY = `COALESCE(f.object_key, 'models/' || f.name || '/' || f.version || '/' || f.path)`;
const FILE_COLUMNS = `f.path, f.sha256, f.bytes, f.uploaded_sha256, f.uploaded_at, ${OBJECT_KEY} AS object_key`;

export async function listFiles(db: D1Database, name: string, version: number): Promise<FileRow[]> {
  const { results } = await db.prepare(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.name = ?1 AND f.version = ?2 ORDER BY f.path`).bind(name, version).all<FileRow>();
  return results;
}

export async function getFile(db: D1Database, name: string, version: number, path: string): Promise<FileRow | null> {
  return db.prepare(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.name = ?1 AND f.version = ?2 AND f.path = ?3`).bind(name, version, path).first<FileRow>();
}

/** A file of a ready or archived version (what downloads and the model loader may read), or null. */
export async function getServedFile(db: D1Database, name: string, version: number, path: string): Promise<FileRow | null> {
  return db
    .prepare(`SELECT ${FILE_COLUMNS} FROM files f JOIN versions v ON v.name = f.name AND v.version = f.version WHERE f.name = ?1 AND f.version = ?2 AND f.path = ?3 AND v.${VISIBLE}`)
    .bind(name, version, path)
    .first<FileRow>();
}

/** path → R2 key of every file of a ready or archived version (empty when there is none). */
export async function servedObjectKeys(db: D1Database, name: string, version: number): Promise<Map<string, string>> {
  const { results } = await db
    .prepare(`SELECT f.path, ${OBJECT_KEY} AS object_key FROM files f JOIN versions v ON v.name = f.name AND v.version = f.version WHERE f.name = ?1 AND f.version = ?2 AND v.${VISIBLE}`)
    .bind(name, version)
    .all<{ path: string; object_key: string }>();
  return new Map(results.map((r) => [r.path, r.object_key]));
}

export interface RecordedUpload {
  /** false: the version is no longer pending (finalized meanwhile); nothing was recorded. */
  recorded: boolean;
  /** The R2 key of the verified upload this one replaced, now unreferenced (delete it), or null. */
  replacedKey: string | null;
}

/**
 * Records verified bytes for a file of a pending version: their sha256 and the R2 key they were
 * streamed to (`key`; null only for callers that wrote the legacy key). Reading the key it replaces
 * and writing the new one happen in one D1 batch (one transaction), so no key still referenced is
 * ever reported as replaced.
 */
export async function markFileUploaded(
  db: D1Database,
  name: string,
  version: number,
  path: string,
  sha256: string,
  key: string | null = null,
  now = new Date().toISOString(),
): Promise<RecordedUpload> {
  const [before, update] = await db.batch<{ object_key: string | null }>([
    db.prepare(`SELECT object_key FROM files WHERE name = ?1 AND version = ?2 AND path = ?3`).bind(name, version, path),
    db
      .prepare(
        `UPDATE files SET uploaded_sha256 = ?4, uploaded_at = ?5, object_key = ?6
         WHERE name = ?1 AND version = ?2 AND path = ?3
           AND EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status = 'pending')`,
      )
      .bind(name, version, path, sha256, now, key),
  ]);
  const recorded = update?.meta.changes === 1;
  const old = before?.results[0]?.object_key ?? null;
  return { recorded, replacedKey: recorded && old !== null && old !== key ? old : null };
}

/**
 * Forgets a file's recorded upload when its bytes turned out to be missing or wrong in R2 (finalize
 * checks them), but only while the record still names `key`: a newer verified upload is kept.
 */
export async function forgetFileUpload(db: D1Database, name: string, version: number, path: string, key: string): Promise<void> {
  await db
    .prepare(
      `UPDATE files AS f SET uploaded_sha256 = NULL, uploaded_at = NULL, object_key = NULL
       WHERE f.name = ?1 AND f.version = ?2 AND f.path = ?3 AND ${OBJECT_KEY} = ?4
         AND EXISTS (SELECT 1 FROM versions v WHERE v.name = ?1 AND v.version = ?2 AND v.status = 'pending')`,
    )
    .bind(name, version, path, key)
    .run();
}
