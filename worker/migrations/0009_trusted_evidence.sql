-- Trusted evidence (issue 21): what moves a model or becomes training data comes only from sources the
-- operator trusts.

-- Browser rows (POST /api/v1/history) carry who synced them: a sha256 prefix of the caller's address
-- (CF-Connecting-IP), NULL for edge rows and for syncs without an address (local tools). The promotion
-- policy, when it counts browser rows at all (policy.browserEvidence), bounds them per client and UTC day.
ALTER TABLE predictions ADD COLUMN client_hash TEXT;

-- Feedback sent with REGISTRY_TOKEN or FEEDBACK_TOKEN is trusted (1); anonymous feedback is kept (0) but
-- counts neither in realised accuracy (policy, drift report, GET /feedback/accuracy) nor in the export
-- that retraining reads. Corrections stored before this migration were anonymous: untrusted.
ALTER TABLE feedback ADD COLUMN trusted INTEGER NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1));
