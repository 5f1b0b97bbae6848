-- Scoped API keys (roles reader < publisher < operator < admin), stored as the SHA-256 hex of the key:
-- the key itself is shown once, on creation, and never stored. REGISTRY_TOKEN stays the bootstrap admin.
CREATE TABLE api_keys (
  name         TEXT PRIMARY KEY,
  role         TEXT NOT NULL CHECK (role IN ('reader', 'publisher', 'operator', 'admin')),
  models       TEXT CHECK (models IS NULL OR json_valid(models)), -- JSON array of model names; NULL = every model
  key_hash     TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
  created_at   TEXT NOT NULL,
  created_by   TEXT,
  expires_at   TEXT,
  last_used_at TEXT,
  revoked_at   TEXT
);

-- Who did it: the caller's name (an API key's name, or 'REGISTRY_TOKEN', 'policy' for the hourly job).
ALTER TABLE versions ADD COLUMN created_by TEXT;
ALTER TABLE alias_events ADD COLUMN created_by TEXT;
