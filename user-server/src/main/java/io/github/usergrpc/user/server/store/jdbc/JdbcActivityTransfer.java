package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.service.store.ActivityHead;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ContentsSink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * The activity log's part of {@link JdbcExport} and {@link JdbcImport}: its events with their sequences and
 * request ids, and each user's head ({@code activity_heads}, V4 on; see {@link ActivityLog}), which keeps
 * resume points valid. Kept apart from the users' part because it follows the log's schema, the part of the
 * store that changes.
 */
final class JdbcActivityTransfer {

  /**
   * The log as a whole: the number of retained events and of heads, and the greatest last sequence and
   * pruned-up-to over all heads.
   */
  record Log(long events, long heads, long lastSequence, long prunedUpTo) {}

  private static final String EVENT_COLUMNS = "sequence, user_id, action, details, occurred_at_ms, request_id";
  private static final String HEAD_COLUMNS = "user_id, last_sequence, pruned_up_to";
  private static final int BATCH_SIZE = 500;

  private JdbcActivityTransfer() {}

  /**
   * Keeps writers out until the transaction ends, so that none slips in between the emptiness check and the
   * import: every writer (and the pruner) writes {@code activity_heads}. On PostgreSQL an EXCLUSIVE table
   * lock, which readers pass and writers wait for. H2 has no table lock statement: the existing heads are
   * locked row by row, which keeps out writers of existing users but not the creation of a new one; an
   * embedded H2 database is held by the one process that opened it, so the import runs with no server on it.
   */
  static void lockWriters(Connection connection) throws SQLException {
    try (Statement lock = connection.createStatement()) {
      if (JdbcExport.isH2(connection)) {
        try (ResultSet rows = lock.executeQuery("SELECT user_id FROM activity_heads FOR UPDATE")) {
          while (rows.next()) {
            // Locks each row it reads.
          }
        }
      } else {
        lock.execute("LOCK TABLE activity_heads IN EXCLUSIVE MODE");
      }
    }
  }

  /** Reads the log's counts and positions, in the caller's transaction. */
  static Log read(Connection connection) throws SQLException {
    return new Log(JdbcExport.single(connection, "SELECT COUNT(*) FROM activity"),
        JdbcExport.single(connection, "SELECT COUNT(*) FROM activity_heads"),
        JdbcExport.single(connection, "SELECT COALESCE(MAX(last_sequence), 0) FROM activity_heads"),
        JdbcExport.single(connection, "SELECT COALESCE(MAX(pruned_up_to), 0) FROM activity_heads"));
  }

  /**
   * Counts the events that their user's head does not cover: without a head, after its last sequence or
   * not after its pruned-up-to. An imported log must have none.
   */
  static long eventsOutsideHeads(Connection connection) throws SQLException {
    return JdbcExport.single(connection, "SELECT COUNT(*) FROM activity a LEFT JOIN activity_heads h"
        + " ON h.user_id = a.user_id WHERE h.user_id IS NULL OR a.sequence > h.last_sequence"
        + " OR a.sequence <= h.pruned_up_to");
  }

  /** Deletes every event and every head. */
  static void clear(Connection connection) throws SQLException {
    try (Statement delete = connection.createStatement()) {
      delete.executeUpdate("DELETE FROM activity");
      delete.executeUpdate("DELETE FROM activity_heads");
    }
  }

  /**
   * Gives every event to {@code sink}, by user id (byte order, as Java compares the ids) and sequence, then
   * every head by user id, read as the caller's transaction sees them.
   */
  static void export(Connection connection, ContentsSink sink) throws SQLException {
    String byUser = " ORDER BY user_id" + (JdbcExport.isH2(connection) ? "" : " COLLATE \"C\"");
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT " + EVENT_COLUMNS + " FROM activity" + byUser + ", sequence")) {
      select.setFetchSize(JdbcExport.FETCH_SIZE);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          sink.event(new ActivityRecord(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
              rows.getLong(5)), Optional.ofNullable(rows.getString(6)));
        }
      }
    }
    try (PreparedStatement select = connection.prepareStatement(
        "SELECT " + HEAD_COLUMNS + " FROM activity_heads" + byUser)) {
      select.setFetchSize(JdbcExport.FETCH_SIZE);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          sink.head(new ActivityHead(rows.getString(1), rows.getLong(2), rows.getLong(3)));
        }
      }
    }
  }

  /** Inserts events and heads in batches, in the caller's transaction. */
  static final class Inserter implements AutoCloseable {
    private final PreparedStatement insertEvent;
    private final PreparedStatement insertHead;
    private int pendingEvents;
    private int pendingHeads;

    Inserter(Connection connection) throws SQLException {
      insertEvent = connection.prepareStatement(
          "INSERT INTO activity (" + EVENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)");
      insertHead = connection.prepareStatement(
          "INSERT INTO activity_heads (" + HEAD_COLUMNS + ") VALUES (?, ?, ?)");
    }

    void add(ActivityRecord event, Optional<String> requestId) throws SQLException {
      insertEvent.setLong(1, event.sequence());
      insertEvent.setString(2, event.userId());
      insertEvent.setString(3, event.action());
      insertEvent.setString(4, event.details());
      insertEvent.setLong(5, event.occurredAtMillis());
      insertEvent.setString(6, requestId.orElse(null));
      insertEvent.addBatch();
      if (++pendingEvents == BATCH_SIZE) {
        insertEvent.executeBatch();
        pendingEvents = 0;
      }
    }

    void add(ActivityHead head) throws SQLException {
      insertHead.setString(1, head.userId());
      insertHead.setLong(2, head.lastSequence());
      insertHead.setLong(3, head.prunedUpTo());
      insertHead.addBatch();
      if (++pendingHeads == BATCH_SIZE) {
        insertHead.executeBatch();
        pendingHeads = 0;
      }
    }

    void flush() throws SQLException {
      if (pendingEvents > 0) {
        insertEvent.executeBatch();
        pendingEvents = 0;
      }
      if (pendingHeads > 0) {
        insertHead.executeBatch();
        pendingHeads = 0;
      }
    }

    @Override
    public void close() throws SQLException {
      try (insertEvent) {
        insertHead.close();
      }
    }
  }
}
