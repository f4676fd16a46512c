-- The number of users per role, so that ListUsers can return `total` without counting rows: COUNT(*) over
-- a million users took 180 ms and more on PostgreSQL, on every first page. JdbcUserStore adjusts a role's
-- row in the transaction of every create, delete and role change, under the activity_counter row lock.
--
-- The backfill counts the users as they are when the migration runs. Servers of an older version do not
-- maintain the counts: upgrade all servers of a database together, not one by one while they write.

CREATE TABLE user_counts (
  role VARCHAR NOT NULL,
  users BIGINT NOT NULL,
  CONSTRAINT user_counts_pk PRIMARY KEY (role),
  CONSTRAINT user_counts_not_negative CHECK (users >= 0)
);

INSERT INTO user_counts (role, users) SELECT role, COUNT(*) FROM users GROUP BY role;
