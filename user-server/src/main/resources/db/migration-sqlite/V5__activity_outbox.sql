-- SQLite's V5: what db/migration/V5__activity_outbox.sql does (the reasons are there), with SQLite's
-- AUTOINCREMENT, which never reuses the id of a deleted row (a plain INTEGER PRIMARY KEY may).
CREATE TABLE activity_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  occurred_at_ms BIGINT NOT NULL
);

CREATE INDEX activity_outbox_user_ix ON activity_outbox (user_id, id);
