package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.server.activity.jetstream.OutboxEntry;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.User;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * RecordActivity, CreateUser and UpdateUser's write as one statement each, for the dialects that have data-modifying
 * {@code WITH} ({@link SqlDialect#oneStatementWrites}: PostgreSQL), run in autocommit by
 * {@link Transactions#writeStatement}. They write what the store's transactions write ({@link ActivityLog},
 * {@link UserRows}, {@link RoleCounts}, {@link JdbcOutbox}), in one round trip to the database instead of one
 * per statement plus the COMMIT (four for RecordActivity, six for CreateUser).
 *
 * <p>The user's head is incremented, or created at 1, by {@code INSERT ... ON CONFLICT DO UPDATE}: it waits
 * for a writer that holds the head and then increments the head as that writer committed it, so numbers are
 * still handed out in commit order, and a statement that fails rolls its increment back.
 *
 * <p>RecordActivity locks the user's row {@code FOR NO KEY UPDATE} and takes the head only from that locked
 * row. One statement reads one snapshot, taken before any lock wait, so the user's existence cannot be checked
 * after the head is locked, as the transaction does; the row lock is the check instead. DeleteUser holds the
 * user's row {@code FOR UPDATE} from its first statement to its commit, which conflicts with it: a
 * RecordActivity that comes while a delete runs waits for it, and PostgreSQL then rereads the newest version
 * of the row, finds it deleted and returns nothing, so there is no head to take and no event follows
 * {@code user.deleted}. A delete that comes while a RecordActivity holds the lock waits for it to commit, and
 * its {@code user.deleted} gets the next number. Both take the user's row before its head, as UpdateUser
 * does, so they cannot deadlock.
 *
 * <p>Why {@code NO KEY UPDATE}, which conflicts with itself, and not {@code KEY SHARE}, which would do for the
 * above: the delete must get its turn. PostgreSQL grants a row lock that agrees with every lock already on
 * the row at once, without looking at who waits for it ({@code heap_lock_tuple} takes the row's heavyweight
 * lock, whose queue is first come first served, only when it has to wait). With {@code KEY SHARE}, writers of
 * one user all held the row, queued at the head, and each new one joined them: while a client kept writing,
 * the row never was free of them and a waiting DeleteUser or UpdateUser waited as long (109 s seen), so a
 * client could hold up a delete at will. With {@code NO KEY UPDATE} a writer that finds the row locked has
 * to wait, so it queues behind the delete that came first (one that comes in the instant between a commit
 * and the next waiter's lock takes the free row without queuing; the delete keeps its place at the front and
 * waits for that one writer only). Writers of one user wait for each other at the
 * user's row now, instead of at the head: one at a time either way, so this costs them no throughput.
 * Nothing else locks a user's row but UpdateUser and DeleteUser; reads take no row lock.
 *
 * <p>UpdateUser ({@link #update}) reads the user without a lock first and writes with one statement whose
 * {@code UPDATE} is guarded by the version it read: a writer that changed or deleted the user in between makes
 * it update no row (PostgreSQL rereads the row it waited for and finds another version), so nothing else of
 * the statement happens and the caller runs read and write again ({@link RowChangedException}), checking the
 * etag against the new version. The {@code UPDATE} locks the row ({@code FOR NO KEY UPDATE}, or {@code FOR
 * UPDATE} when the email, a column with a unique index, changes) before the head, as DeleteUser and
 * RecordActivity do, and queues with them at the row. The outbox row is inserted from the updated row, so
 * after the row lock, and numbered in commit order as {@link JdbcOutbox} requires; the statement's snapshot,
 * taken before that lock, holds every earlier change of the user, since any change after the version it read
 * would have made the {@code UPDATE} find no row.
 */
final class OneStatementWrites {

  private static final String EVENT_COLUMNS = "sequence, user_id, action, details, occurred_at_ms, request_id";

  /** Increments the head of the user in the one row of {@code %s}, or creates it at 1. */
  private static final String HEAD = "head AS (INSERT INTO activity_heads (user_id, last_sequence, pruned_up_to)"
      + " SELECT id, 1, 0 FROM %s"
      + " ON CONFLICT (user_id) DO UPDATE SET last_sequence = activity_heads.last_sequence + 1"
      + " RETURNING user_id, last_sequence)";

  /** Returns the event's sequence; NULL if the user does not exist. */
  private static final String RECORD_ACTIVITY = "WITH live AS MATERIALIZED ("
      + "SELECT id FROM users WHERE id = ? FOR NO KEY UPDATE), "
      + String.format(HEAD, "live") + ", "
      + "event AS (INSERT INTO activity (" + EVENT_COLUMNS + ")"
      + " SELECT last_sequence, user_id, ?, ?, ?, ? FROM head RETURNING sequence) "
      + "SELECT (SELECT sequence FROM event)";

  /**
   * Inserts the user; its create request, if there is one ({@code %s}); counts it in its role's shard; and
   * writes its event ({@code %s}: {@link #CREATED_EVENT} or {@link #CREATED_OUTBOX_ENTRY}).
   */
  private static final String CREATE_USER = "WITH created AS ("
      + "INSERT INTO users (" + UserRows.USER_COLUMNS + ", email_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
      + " RETURNING id)%s, "
      + "counted AS (INSERT INTO user_counts (role, shard, users) VALUES (?, ?, 1)"
      + " ON CONFLICT (role, shard) DO UPDATE SET users = user_counts.users + 1), "
      + "%s";
  private static final String CREATE_REQUEST = ", request AS (INSERT INTO create_requests"
      + " (request_id, " + UserRows.CREATED_USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?))";
  /**
   * The event, in the activity log, of the user that the CTE {@code %s} wrote; returns its sequence, or no row
   * if that CTE wrote none.
   */
  private static final String CHANGE_EVENT = HEAD + ", "
      + "event AS (INSERT INTO activity (" + EVENT_COLUMNS + ") SELECT last_sequence, user_id, ?, ?, ?, NULL"
      + " FROM head) "
      + "SELECT last_sequence FROM head";
  /** The event in the activity log; returns its sequence. */
  private static final String CREATED_EVENT = String.format(CHANGE_EVENT, "created");
  /** The event in the outbox instead, as {@link JdbcOutbox#insert} writes it. */
  private static final String CREATED_OUTBOX_ENTRY = "entry AS (INSERT INTO activity_outbox"
      + " (user_id, action, details, occurred_at_ms) SELECT id, ?, ?, ? FROM created) "
      + "SELECT 0";

  /** Writes the user's new values if its version is still {@code ?}; returns its id, or nothing. */
  private static final String UPDATED = "updated AS (UPDATE users SET email = ?, email_key = ?, name = ?,"
      + " role = ?, updated_at_ms = ?, version = ? WHERE id = ? AND version = ? RETURNING id)";
  /** Adds {@code ?} to the count of a role ({@code ?}) in a shard ({@code ?}), for the updated user. */
  private static final String RECOUNTED = "%s AS (INSERT INTO user_counts (role, shard, users)"
      + " SELECT ?, ?, ? FROM updated ON CONFLICT (role, shard) DO UPDATE SET users = user_counts.users"
      + " + EXCLUDED.users)";
  /** The update's event in the activity log; returns its sequence, or no row if no row was updated. */
  private static final String UPDATED_EVENT = String.format(CHANGE_EVENT, "updated");
  /**
   * The update's event in the outbox instead; returns the user's pending rows, the new one last (as {@link
   * JdbcOutbox#insertAndReadPending} does), or no row if no row was updated.
   */
  private static final String UPDATED_OUTBOX_ENTRY = "entry AS (INSERT INTO activity_outbox"
      + " (user_id, action, details, occurred_at_ms) SELECT id, ?, ?, ? FROM updated"
      + " RETURNING " + JdbcOutbox.COLUMNS + ") "
      + JdbcOutbox.PENDING_OF_USER + " AND EXISTS (SELECT 1 FROM entry)"
      + " UNION ALL SELECT " + JdbcOutbox.COLUMNS + " FROM entry ORDER BY 1";

  private OneStatementWrites() {}

  /**
   * Appends an event of the user if the user exists, and sets {@code tx.appended} to it.
   *
   * @return the event; empty if the user does not exist
   */
  static Optional<ActivityRecord> recordActivity(Transaction tx, String userId, String action, String details,
      long nowMillis, Optional<String> requestId) throws SQLException {
    try (PreparedStatement statement = tx.connection.prepareStatement(RECORD_ACTIVITY)) {
      statement.setString(1, userId);
      statement.setString(2, action);
      statement.setString(3, details);
      statement.setLong(4, nowMillis);
      statement.setString(5, requestId.orElse(null));
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        long sequence = rows.getLong(1);
        if (rows.wasNull()) {
          return Optional.empty();
        }
        ActivityRecord event = new ActivityRecord(sequence, userId, action, details, nowMillis);
        tx.appended = event;
        return Optional.of(event);
      }
    }
  }

  /**
   * Inserts the user, its create request if {@code requestId} is present, and its event (to the outbox if
   * {@code outbox}, else to the activity log, setting {@code tx.appended}), and counts it.
   */
  static void create(Transaction tx, User created, Optional<String> requestId, boolean outbox)
      throws SQLException {
    String sql = String.format(CREATE_USER, requestId.isPresent() ? CREATE_REQUEST : "",
        outbox ? CREATED_OUTBOX_ENTRY : CREATED_EVENT);
    try (PreparedStatement statement = tx.connection.prepareStatement(sql)) {
      UserRows.setUser(statement, 1, created);
      statement.setString(8, created.emailKey());
      int index = 9;
      if (requestId.isPresent()) {
        statement.setString(index++, requestId.get());
        UserRows.setUser(statement, index, created);
        index += 7;
      }
      statement.setString(index++, created.role());
      statement.setInt(index++, RoleCounts.shardOf(created.id()));
      statement.setString(index++, ActivityRecord.USER_CREATED);
      statement.setString(index++, ActivityRecord.ALL_FIELDS);
      statement.setLong(index, created.createdAtMillis());
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        if (!outbox) {
          tx.appended = new ActivityRecord(rows.getLong(1), created.id(), ActivityRecord.USER_CREATED,
              ActivityRecord.ALL_FIELDS, created.createdAtMillis());
        }
      }
    }
  }

  /**
   * Writes {@code updated} over {@code current} if the user's row still has {@code current}'s version, with
   * its event ({@code user.updated} with {@code changedFields}; to the outbox if {@code outbox}, setting {@code
   * tx.pendingOutbox}, else to the activity log, setting {@code tx.appended}) and, if the role changed, the
   * counts of both roles. The event occurred at {@code nowMillis}.
   *
   * @throws RowChangedException if the row has another version or is gone: nothing was written
   */
  static void update(Transaction tx, User current, User updated, String changedFields, long nowMillis,
      boolean outbox) throws SQLException {
    boolean recount = !updated.role().equals(current.role());
    String sql = "WITH " + UPDATED + ", "
        + (recount ? String.format(RECOUNTED, "uncounted") + ", " + String.format(RECOUNTED, "counted") + ", "
            : "")
        + (outbox ? UPDATED_OUTBOX_ENTRY : UPDATED_EVENT);
    try (PreparedStatement statement = tx.connection.prepareStatement(sql)) {
      statement.setString(1, updated.email());
      statement.setString(2, updated.emailKey());
      statement.setString(3, updated.name());
      statement.setString(4, updated.role());
      statement.setLong(5, updated.updatedAtMillis());
      statement.setLong(6, updated.version());
      statement.setString(7, current.id());
      statement.setLong(8, current.version());
      int index = 9;
      if (recount) {
        int shard = RoleCounts.shardOf(current.id());
        statement.setString(index++, current.role());
        statement.setInt(index++, shard);
        statement.setLong(index++, -1);
        statement.setString(index++, updated.role());
        statement.setInt(index++, shard);
        statement.setLong(index++, 1);
      }
      statement.setString(index++, ActivityRecord.USER_UPDATED);
      statement.setString(index++, changedFields);
      statement.setLong(index++, nowMillis);
      if (outbox) {
        statement.setString(index, current.id());
        List<OutboxEntry> pending = JdbcOutbox.read(statement);
        // The new row is always returned when the user was updated.
        RowChangedException.expectOneRow(pending.isEmpty() ? 0 : 1);
        tx.pendingOutbox = pending;
        return;
      }
      try (ResultSet rows = statement.executeQuery()) {
        RowChangedException.expectOneRow(rows.next() ? 1 : 0);
        tx.appended = new ActivityRecord(rows.getLong(1), current.id(), ActivityRecord.USER_UPDATED,
            changedFields, nowMillis);
      }
    }
  }
}
