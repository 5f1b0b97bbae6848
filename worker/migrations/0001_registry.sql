-- Model registry: models, their immutable versions, the files of each version, and movable aliases
-- (champion, challenger, …) with an append-only audit log. Times are ISO-8601 UTC strings.

CREATE TABLE models (
  name       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- A version is created `pending` (manifest known, files being uploaded), becomes `ready` once every
-- file is uploaded and verified (finalize), and may later be `archived`. Pending versions are never
-- served to readers.
CREATE TABLE versions (
  name         TEXT    NOT NULL REFERENCES models (name),
  version      INTEGER NOT NULL CHECK (version > 0),
  status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'archived')),
  manifest     TEXT    NOT NULL CHECK (json_valid(manifest)), -- ManifestDraft JSON, version and createdAt filled in
  bytes        INTEGER NOT NULL CHECK (bytes >= 0),            -- sum of file sizes
  created_at   TEXT    NOT NULL,
  finalized_at TEXT,
  archived_at  TEXT,
  PRIMARY KEY (name, version)
);
CREATE INDEX versions_by_status ON versions (name, status, version);

-- One row per file the manifest declares; uploaded_* are filled in when the bytes arrive and match.
CREATE TABLE files (
  name            TEXT    NOT NULL,
  version         INTEGER NOT NULL,
  path            TEXT    NOT NULL,
  sha256          TEXT    NOT NULL, -- declared in the manifest
  bytes           INTEGER NOT NULL, -- declared in the manifest
  uploaded_sha256 TEXT,             -- measured while streaming to R2
  uploaded_at     TEXT,
  PRIMARY KEY (name, version, path),
  FOREIGN KEY (name, version) REFERENCES versions (name, version)
);

CREATE TABLE aliases (
  name       TEXT    NOT NULL,
  alias      TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  updated_at TEXT    NOT NULL,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES versions (name, version)
);
CREATE INDEX aliases_by_version ON aliases (name, version);

-- Every alias move or deletion, written in the same transaction as the move itself.
CREATE TABLE alias_events (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name         TEXT    NOT NULL,
  alias        TEXT    NOT NULL,
  from_version INTEGER,          -- NULL: the alias did not exist
  to_version   INTEGER,          -- NULL: the alias was deleted
  at           TEXT    NOT NULL,
  reason       TEXT
);
CREATE INDEX alias_events_by_alias ON alias_events (name, alias, id);
