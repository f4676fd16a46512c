-- Per-user activity sequences: no row that every writer waits for (see ActivityLog).
--
-- Before, one row (activity_counter) numbered every event of every user, and its row lock serialized all
-- writers until they committed; one row per role (user_counts) did the same for creates of a role. Now each
-- user has a head row, and each role's count is spread over shard rows.
--
-- Upgrade all servers of a database together: servers of an older version number events from
-- activity_counter, which this migration drops.

-- One row per user that ever had an event: the last sequence given to one of its events, and the greatest
-- one the retention deleted. Kept when the user is deleted, so that an id created again continues its
-- numbers and resume points stay meaningful.
CREATE TABLE activity_heads (
  user_id VARCHAR NOT NULL,
  last_sequence BIGINT NOT NULL,
  pruned_up_to BIGINT NOT NULL,
  CONSTRAINT activity_heads_pk PRIMARY KEY (user_id)
);

-- Resume points from before the upgrade stay valid: every user's next sequence is greater than every
-- sequence handed out so far (the old global counter), so it is greater than any resume point a watcher of
-- that user holds; and what the retention deleted stays expired (the old global pruned_up_to).
INSERT INTO activity_heads (user_id, last_sequence, pruned_up_to)
  SELECT ids.user_id,
      (SELECT last_sequence FROM activity_counter WHERE id = 1),
      (SELECT pruned_up_to FROM activity_retention WHERE id = 1)
  FROM (SELECT user_id FROM activity UNION SELECT id FROM users) ids;

DROP TABLE activity_counter;
DROP TABLE activity_retention;

-- A user's events are read by (user_id, sequence); sequences repeat across users.
ALTER TABLE activity DROP CONSTRAINT activity_pk;
DROP INDEX activity_user_ix;
ALTER TABLE activity ADD CONSTRAINT activity_pk PRIMARY KEY (user_id, sequence);

-- The pruner finds old events by time, and the newest event's time.
CREATE INDEX activity_occurred_ix ON activity (occurred_at_ms, user_id, sequence);

-- Role counts in shards (RoleCounts.SHARDS rows per role at most); a user counts in the shard of its id.
-- The counts so far go to shard 0: only the sum per role is exact, so a shard's row may go below 0.
CREATE TABLE user_counts_sharded (
  role VARCHAR NOT NULL,
  shard INT NOT NULL,
  users BIGINT NOT NULL,
  CONSTRAINT user_counts_sharded_pk PRIMARY KEY (role, shard)
);

INSERT INTO user_counts_sharded (role, shard, users) SELECT role, 0, users FROM user_counts;

DROP TABLE user_counts;
ALTER TABLE user_counts_sharded RENAME TO user_counts;
