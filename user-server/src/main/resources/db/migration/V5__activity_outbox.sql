-- The outbox of the JetStream activity log (issue 18). A server started with --activity nats://... writes the
-- event of every CreateUser, UpdateUser and DeleteUser here, in the transaction of the change, instead of to
-- the activity table; the server then publishes the row to the stream, with a message id made of the row id
-- (so a row published twice is stored once), and deletes it. A relay publishes what a server could not (it
-- died after its commit, or NATS was down). Stays empty in the database-only mode.
--
-- Row ids are never reused, and a user's rows are numbered in the order of their commits: a mutation locks
-- its user's row before it inserts here. Rows of one user go out in id order.
CREATE TABLE activity_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY,
  user_id VARCHAR ${id_collation} NOT NULL,
  action VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  CONSTRAINT activity_outbox_pk PRIMARY KEY (id)
);

-- A user's pending rows, oldest first: they go out before any later event of the user.
CREATE INDEX activity_outbox_user_ix ON activity_outbox (user_id, id);
