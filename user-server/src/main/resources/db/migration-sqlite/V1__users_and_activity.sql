-- The schema of JdbcUserStore, one set for PostgreSQL and H2 (which the store runs in MODE=PostgreSQL).
-- Flyway replaces ${id_collation}: COLLATE "C" on PostgreSQL, so that ids compare byte-wise, as
-- String.compareTo does in PageCursor and InMemoryUserStore; empty on H2, which compares that way already.

CREATE TABLE users (
  id VARCHAR ${id_collation} NOT NULL,
  email VARCHAR NOT NULL,
  -- User.emailKey(email), computed in Java: emails are unique case-insensitively.
  email_key VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  version BIGINT NOT NULL,
  CONSTRAINT users_pk PRIMARY KEY (id)
);

-- The store tells a duplicate email from other unique violations by this name.
CREATE UNIQUE INDEX users_email_key_uq ON users (email_key);
-- Keyset pagination, newest first: WHERE created_at_ms <= ? ... ORDER BY created_at_ms DESC, id DESC.
CREATE INDEX users_newest_first_ix ON users (created_at_ms DESC, id DESC);
CREATE INDEX users_role_newest_first_ix ON users (role, created_at_ms DESC, id DESC);

-- The activity log (outbox). Every mutation appends its event in the transaction that makes it. Nothing
-- is ever pruned. The sequence comes from activity_counter, not from a SEQUENCE: see JdbcUserStore.
CREATE TABLE activity (
  sequence BIGINT NOT NULL,
  user_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  -- The RecordActivity request id (AIP-155); NULL for events of mutations and calls without one.
  request_id VARCHAR,
  CONSTRAINT activity_pk PRIMARY KEY (sequence)
);

CREATE UNIQUE INDEX activity_request_id_uq ON activity (request_id);
CREATE INDEX activity_user_ix ON activity (user_id, sequence);

-- One row: the last sequence handed out. Writers increment it as the last statement of their transaction;
-- its row lock makes sequences grow in commit order.
CREATE TABLE activity_counter (
  id INT NOT NULL,
  last_sequence BIGINT NOT NULL,
  CONSTRAINT activity_counter_pk PRIMARY KEY (id),
  CONSTRAINT activity_counter_one_row CHECK (id = 1)
);

INSERT INTO activity_counter (id, last_sequence) VALUES (1, 0);

-- CreateUser request ids (AIP-155) with the user as it was created, so that a replay returns it even
-- after the user was changed or deleted.
CREATE TABLE create_requests (
  request_id VARCHAR NOT NULL,
  user_id VARCHAR NOT NULL,
  email VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  version BIGINT NOT NULL,
  CONSTRAINT create_requests_pk PRIMARY KEY (request_id)
);

-- One row: the secret every server on this database signs page tokens with (UserStore.secretKey()).
-- The store fills it with 32 random bytes, hex-encoded, when it first opens the database.
CREATE TABLE store_secret (
  id INT NOT NULL,
  secret_hex VARCHAR(64) NOT NULL,
  CONSTRAINT store_secret_pk PRIMARY KEY (id),
  CONSTRAINT store_secret_one_row CHECK (id = 1)
);
