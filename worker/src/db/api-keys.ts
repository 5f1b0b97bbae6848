/** The api_keys table (migration 0010): scoped keys stored as the SHA-256 hex of the key, never the key. */
import type { ApiKeyInfo, Role } from '@sentiment-edge/registry';

interface KeyRow {
  name: string;
  role: Role;
  models: string | null;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const COLUMNS = 'name, role, models, created_at, created_by, expires_at, last_used_at, revoked_at';

export const toKeyInfo = (r: KeyRow): ApiKeyInfo => ({
  name: r.name,
  role: r.role,
  models: r.models === null ? null : (JSON.parse(r.models) as string[]),
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export interface NewKey {
  name: string;
  role: Role;
  models: string[] | null;
  keyHash: string;
  expiresAt: string | null;
  createdBy: string;
}

/** Inserts a key; false when the name is taken. */
export async function insertKey(db: D1Database, k: NewKey, now = new Date().toISOString()): Promise<boolean> {
  const r = await db
    .prepare(`INSERT INTO api_keys (name, role, models, key_hash, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO NOTHING`)
    .bind(k.name, k.role, k.models === null ? null : JSON.stringify(k.models), k.keyHash, now, k.createdBy, k.expiresAt)
    .run();
  return r.meta.changes === 1;
}

export async function listKeys(db: D1Database): Promise<ApiKeyInfo[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY name`).all<KeyRow>();
  return results.map(toKeyInfo);
}

/** The key whose hash is `keyHash`, revoked or expired ones included (the caller decides). */
export async function keyByHash(db: D1Database, keyHash: string): Promise<ApiKeyInfo | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?1`).bind(keyHash).first<KeyRow>();
  return row ? toKeyInfo(row) : null;
}

/** Revokes a key by name; null when there is no such key (revoking twice keeps the first time). */
export async function revokeKey(db: D1Database, name: string, now = new Date().toISOString()): Promise<ApiKeyInfo | null> {
  const row = await db.prepare(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE name = ?1 RETURNING ${COLUMNS}`).bind(name, now).first<KeyRow>();
  return row ? toKeyInfo(row) : null;
}

export async function touchKey(db: D1Database, name: string, now = new Date().toISOString()): Promise<void> {
  await db.prepare(`UPDATE api_keys SET last_used_at = ?2 WHERE name = ?1`).bind(name, now).run();
}
