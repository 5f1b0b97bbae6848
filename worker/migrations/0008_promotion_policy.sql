-- The closed loop (issue 15, items 2 and 3): per-model promotion policies evaluated by the hourly job,
-- the decisions it took, failures of /predict per version (the policy's error rate), and the CI
-- dispatches that retrain a model when drift fires. Times are fixed-width ISO-8601 UTC strings.
-- (0007_canary.sql, the canary's traffic share, comes from the same issue's item 1.)

-- Who moved an alias: 'operator' (a request with REGISTRY_TOKEN), 'policy' (the scheduled promotion
-- policy), NULL on rows written before this migration.
ALTER TABLE alias_events ADD COLUMN actor TEXT;

-- One policy per model (PUT /api/v1/models/{name}/policy). `policy` is the validated PromotionPolicy JSON
-- (registry/src/policy.ts); `paused` repeats its flag so the hourly job can skip paused models cheaply.
CREATE TABLE promotion_policies (
  model_name TEXT    PRIMARY KEY,
  policy     TEXT    NOT NULL CHECK (json_valid(policy)),
  paused     INTEGER NOT NULL CHECK (paused IN (0, 1)),
  updated_at TEXT    NOT NULL
) WITHOUT ROWID;

-- Every decision of the hourly job (GET /api/v1/models/{name}/decisions): what it decided, whether the
-- alias move was applied or dropped because an operator moved the alias first (compare-and-set), the
-- reasons, the evidence it read and the policy it applied.
CREATE TABLE promotion_decisions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  model_name        TEXT    NOT NULL,
  created_at        TEXT    NOT NULL,
  candidate_alias   TEXT    NOT NULL,
  candidate_version INTEGER NOT NULL,
  champion_version  INTEGER,
  action            TEXT    NOT NULL CHECK (action IN ('promote', 'hold', 'rollback')),
  outcome           TEXT    NOT NULL CHECK (outcome IN ('applied', 'conflict', 'none')),
  reasons           TEXT    NOT NULL CHECK (json_valid(reasons)),
  checks            TEXT    NOT NULL CHECK (json_valid(checks)),
  evidence          TEXT    NOT NULL CHECK (json_valid(evidence)),
  policy            TEXT    NOT NULL CHECK (json_valid(policy)),
  webhook_status    TEXT    CHECK (webhook_status IS NULL OR webhook_status IN ('delivered', 'failed'))
);
CREATE INDEX promotion_decisions_by_model ON promotion_decisions (model_name, id);

-- Texts a version failed to answer on /predict after the request was resolved to it (model load or
-- inference failed), and challenger failures while shadow scoring, per UTC minute: the error rate
-- the policy compares (failed texts / (failed + answered texts)).
CREATE TABLE version_errors (
  minute        TEXT    NOT NULL,
  model_name    TEXT    NOT NULL,
  model_version INTEGER NOT NULL,
  count         INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (minute, model_name, model_version)
) WITHOUT ROWID;

-- Retraining dispatches (RETRAIN_DISPATCH_URL): one row per dispatch, claimed before it is sent, so
-- that at most one is sent per model per RETRAIN_COOLDOWN_HOURS even when runs overlap.
CREATE TABLE retrain_dispatches (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  model_name  TEXT    NOT NULL,
  created_at  TEXT    NOT NULL,
  reason      TEXT    NOT NULL CHECK (reason IN ('drift', 'schedule')),
  status      TEXT    NOT NULL CHECK (status IN ('sending', 'delivered', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error  TEXT,
  report_id   INTEGER
);
CREATE INDEX retrain_dispatches_by_model ON retrain_dispatches (model_name, created_at);
