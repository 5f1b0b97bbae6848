-- Canary share (issue 15): the `canary` alias carries the share (0–1) of a model's champion traffic
-- (edge /predict for NAME or NAME@champion, and the PWA's model choice) that its version serves,
-- chosen by a stable hash of a client key (registry/src/canary.ts). NULL on every other alias.
ALTER TABLE aliases ADD COLUMN share REAL CHECK (share IS NULL OR (share >= 0 AND share <= 1));

-- The share after the move (NULL for other aliases and for deletions), so the audit log shows
-- share changes as well as version moves.
ALTER TABLE alias_events ADD COLUMN share REAL CHECK (share IS NULL OR (share >= 0 AND share <= 1));
