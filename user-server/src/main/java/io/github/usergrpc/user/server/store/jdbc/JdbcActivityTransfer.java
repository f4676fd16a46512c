package io.github.usergrpc.user.server.store.jdbc;

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
 * request ids, and the positions that keep resume points valid. Kept apart from the users' part because it
 * follows the log's schema, which is the part of the store that changes: this is the schema of V1 to V3, one
 * global sequence in {@code activity_counter} and {@code activity_retention.pruned_up_to}.
 */
final class JdbcActivityTransfer {

  /** The positions of the log and the number of retained events. */
  record Log(long events, long lastSequence, long prunedUpTo) {}

  private static final String EVENT_COLUMNS = "sequence, user_id, action, details, occurred_at_ms, request_id";
  private static final int BATCH_SIZE = 500;

  private JdbcActivityTransfer() {}

  /**
   * Takes the lock every writer takes to append an event, until the transaction ends: writers on other
   * connections wait (on H2 until its lock timeout), so none slips in between the emptiness check and the
   * import.
   */
  static void lockWriters(Connection connection) throws SQLException {
    try (Statement update = connection.createStatement()) {
      update.executeUpdate("UPDATE activity_counter SET last_sequence = last_sequence WHERE id = 1");
    }
  }

  /** Reads the log's positions and counts its events, in the caller's transaction. */
  static Log read(Connection connection) throws SQLException {
    return new Log(JdbcExport.single(connection, "SELECT COUNT(*) FROM activity"),
        JdbcExport.single(connection, "SELECT last_sequence FROM activity_counter WHERE id = 1"),
        JdbcExport.single(connection, "SELECT pruned_up_to FROM activity_retention WHERE id = 1"));
  }

  /** Deletes every event and moves the log back to its start. */
  static void clear(Connection connection) throws SQLException {
    try (Statement delete = connection.createStatement()) {
      delete.executeUpdate("DELETE FROM activity");
      delete.executeUpdate("UPDATE activity_counter SET last_sequence = 0 WHERE id = 1");
      delete.executeUpdate("UPDATE activity_retention SET pruned_up_to = 0 WHERE id = 1");
    }
  }

  /**
   * Gives every event to {@code sink}, by user id (byte order, as Java compares the ids) and sequence, read
   * as the caller's transaction sees them. By user rather than by the global sequence: that order does not
   * depend on how sequences are numbered, globally or per user.
   */
  static void export(Connection connection, ContentsSink sink) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement("SELECT " + EVENT_COLUMNS + " FROM activity"
        + " ORDER BY user_id" + (JdbcExport.isH2(connection) ? "" : " COLLATE \"C\"") + ", sequence")) {
      select.setFetchSize(JdbcExport.FETCH_SIZE);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          sink.event(new ActivityRecord(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
              rows.getLong(5)), Optional.ofNullable(rows.getString(6)));
        }
      }
    }
  }

  /**
   * Sets the log's positions after the events are inserted: new events continue after {@code lastSequence},
   * and a watch resuming from before {@code prunedUpTo} is refused as on the source.
   */
  static void setPositions(Connection connection, long lastSequence, long prunedUpTo) throws SQLException {
    try (PreparedStatement counter = connection.prepareStatement(
            "UPDATE activity_counter SET last_sequence = ? WHERE id = 1");
        PreparedStatement retention = connection.prepareStatement(
            "UPDATE activity_retention SET pruned_up_to = ? WHERE id = 1")) {
      counter.setLong(1, lastSequence);
      counter.executeUpdate();
      retention.setLong(1, prunedUpTo);
      retention.executeUpdate();
    }
  }

  /** Inserts events in batches, in the caller's transaction. */
  static final class Inserter implements AutoCloseable {
    private final PreparedStatement insert;
    private int pending;

    Inserter(Connection connection) throws SQLException {
      insert = connection.prepareStatement("INSERT INTO activity (" + EVENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)");
    }

    void add(ActivityRecord event, Optional<String> requestId) throws SQLException {
      insert.setLong(1, event.sequence());
      insert.setString(2, event.userId());
      insert.setString(3, event.action());
      insert.setString(4, event.details());
      insert.setLong(5, event.occurredAtMillis());
      insert.setString(6, requestId.orElse(null));
      insert.addBatch();
      if (++pending == BATCH_SIZE) {
        flush();
      }
    }

    void flush() throws SQLException {
      if (pending > 0) {
        insert.executeBatch();
        pending = 0;
      }
    }

    @Override
    public void close() throws SQLException {
      insert.close();
    }
  }
}
