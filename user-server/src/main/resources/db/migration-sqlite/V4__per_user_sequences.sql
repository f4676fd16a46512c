-- SQLite's V4: what db/migration/V4__per_user_sequences.sql does, with the table rebuild SQLite needs
-- (its ALTER TABLE can neither drop nor add a primary key). V1 to V3 here are copies of db/migration's,
-- byte for byte (same checksums): Flyway cannot take V1 to V3 from one location and V4 from another.
-- The reasons for each step are in db/migration's V4.

CREATE TABLE activity_heads (
  user_id VARCHAR NOT NULL,
  last_sequence BIGINT NOT NULL,
  pruned_up_to BIGINT NOT NULL,
  CONSTRAINT activity_heads_pk PRIMARY KEY (user_id)
);

INSERT INTO activity_heads (user_id, last_sequence, pruned_up_to)
  SELECT ids.user_id,
      (SELECT last_sequence FROM activity_counter WHERE id = 1),
      (SELECT pruned_up_to FROM activity_retention WHERE id = 1)
  FROM (SELECT user_id FROM activity UNION SELECT id FROM users) ids;

DROP TABLE activity_counter;
DROP TABLE activity_retention;

-- The activity table again, keyed by (user_id, sequence); its indexes go with the old table.
CREATE TABLE activity_rebuilt (
  sequence BIGINT NOT NULL,
  user_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  request_id VARCHAR,
  CONSTRAINT activity_pk PRIMARY KEY (user_id, sequence)
);

INSERT INTO activity_rebuilt (sequence, user_id, action, details, occurred_at_ms, request_id)
  SELECT sequence, user_id, action, details, occurred_at_ms, request_id FROM activity;

DROP TABLE activity;
ALTER TABLE activity_rebuilt RENAME TO activity;

CREATE UNIQUE INDEX activity_request_id_uq ON activity (request_id);
CREATE INDEX activity_occurred_ix ON activity (occurred_at_ms, user_id, sequence);

CREATE TABLE user_counts_sharded (
  role VARCHAR NOT NULL,
  shard INT NOT NULL,
  users BIGINT NOT NULL,
  CONSTRAINT user_counts_sharded_pk PRIMARY KEY (role, shard)
);

INSERT INTO user_counts_sharded (role, shard, users) SELECT role, 0, users FROM user_counts;

DROP TABLE user_counts;
ALTER TABLE user_counts_sharded RENAME TO user_counts;
