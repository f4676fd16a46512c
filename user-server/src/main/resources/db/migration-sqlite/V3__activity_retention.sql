-- Retention: ActivityPruner deletes the activity log's events older than the store's activity retention,
-- oldest sequence first, and the CreateUser request ids older than 24 hours.
--
-- One row: every event up to pruned_up_to has been deleted, every later one is kept. A watch resuming after
-- an earlier sequence is refused (RESUME_POINT_EXPIRED) instead of silently missing events.
CREATE TABLE activity_retention (
  id INT NOT NULL,
  pruned_up_to BIGINT NOT NULL,
  CONSTRAINT activity_retention_pk PRIMARY KEY (id),
  CONSTRAINT activity_retention_one_row CHECK (id = 1)
);

INSERT INTO activity_retention (id, pruned_up_to) VALUES (1, 0);

-- The pruner finds the request ids past their 24 hours by the time of their create.
CREATE INDEX create_requests_created_ix ON create_requests (created_at_ms);
