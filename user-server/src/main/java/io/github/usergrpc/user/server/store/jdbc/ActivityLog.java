package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.service.store.ActivityRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of the activity log: the events ({@code activity}) and each user's head ({@code activity_heads}).
 *
 * <p>Sequences are per user. Every transaction that appends an event for user U first increments U's head
 * row ({@link #nextSequence}, or {@link OneStatementWrites} in the statement that appends) and takes its
 * number from it; the row lock that takes is held until the commit, so the next writer of U gets its number
 * only after this one has committed. Per user, numbers are handed out in commit order: a reader of
 * {@code user_id = ? AND sequence > ?} that has seen {@code n} never later finds a new event of U below
 * {@code n}. A writer that rolls back rolls its increment back, so a user's numbers are dense. Writers of different users never wait for each other.
 *
 * <p>Why not a SEQUENCE: it hands out numbers when a transaction asks, not when it commits. T1 takes 5, T2
 * takes 6, T2 commits; a reader sees 6 and moves past 5; then T1 commits 5, which that reader never sees.
 * (Before V4 the head was one row for all users, {@code activity_counter}: every writer waited for it.)
 *
 * <p>A head is kept when its user is deleted: a user created again with the same id continues its numbers,
 * so resume points stay meaningful. Its {@code pruned_up_to} is the greatest sequence the retention has
 * deleted; everything after it is kept.
 */
final class ActivityLog {

  private static final String EVENT_COLUMNS = "sequence, user_id, action, details, occurred_at_ms";
  /** How many user ids one {@link #lastSequences} query names. */
  private static final int IDS_PER_QUERY = 100;

  /** {@code UPDATE ... RETURNING}: PostgreSQL and SQLite have it, H2 has not (it has FINAL TABLE instead). */
  private final boolean updateReturning;

  ActivityLog(boolean updateReturning) {
    this.updateReturning = updateReturning;
  }

  /** Appends an event: {@link #nextSequence}, then {@link #insert}. */
  ActivityRecord append(Transaction tx, String userId, String action, String details, long nowMillis,
      Optional<String> requestId) throws SQLException {
    return insert(tx, nextSequence(tx, userId), userId, action, details, nowMillis, requestId);
  }

  /**
   * Increments the user's head, creating it at 1, and returns the new value; the head stays locked until the
   * transaction ends. A new head is inserted with {@code ON CONFLICT DO NOTHING}, which waits for a
   * concurrent insert of the same head and then inserts nothing: the increment then runs again on that row.
   */
  long nextSequence(Transaction tx, String userId) throws SQLException {
    while (true) {
      Optional<Long> incremented = increment(tx, userId);
      if (incremented.isPresent()) {
        return incremented.get();
      }
      try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO activity_heads"
          + " (user_id, last_sequence, pruned_up_to) VALUES (?, 1, 0) ON CONFLICT DO NOTHING")) {
        insert.setString(1, userId);
        if (insert.executeUpdate() == 1) {
          return 1;
        }
      }
    }
  }

  private Optional<Long> increment(Transaction tx, String userId) throws SQLException {
    String update = "UPDATE activity_heads SET last_sequence = last_sequence + 1 WHERE user_id = ?";
    if (updateReturning) {
      try (PreparedStatement statement = tx.connection.prepareStatement(update + " RETURNING last_sequence")) {
        statement.setString(1, userId);
        try (ResultSet rows = statement.executeQuery()) {
          return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
        }
      }
    }
    try (PreparedStatement statement = tx.connection.prepareStatement(update)) {
      statement.setString(1, userId);
      if (statement.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    // Reads this transaction's own increment.
    return Optional.of(lastSequence(tx, userId));
  }

  /** Inserts an event with a sequence from {@link #nextSequence} of the same transaction. */
  ActivityRecord insert(Transaction tx, long sequence, String userId, String action, String details,
      long nowMillis, Optional<String> requestId) throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement("INSERT INTO activity (" + EVENT_COLUMNS
        + ", request_id) VALUES (?, ?, ?, ?, ?, ?)")) {
      insert.setLong(1, sequence);
      insert.setString(2, userId);
      insert.setString(3, action);
      insert.setString(4, details);
      insert.setLong(5, nowMillis);
      insert.setString(6, requestId.orElse(null));
      insert.executeUpdate();
    }
    ActivityRecord event = new ActivityRecord(sequence, userId, action, details, nowMillis);
    tx.appended = event;
    return event;
  }

  /** Returns the user's events after {@code afterSequence}, ascending. */
  static List<ActivityRecord> eventsAfter(Transaction tx, String userId, long afterSequence, int max)
      throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT " + EVENT_COLUMNS
        + " FROM activity WHERE user_id = ? AND sequence > ? ORDER BY sequence LIMIT ?")) {
      select.setString(1, userId);
      select.setLong(2, afterSequence);
      select.setInt(3, max);
      return readEvents(select);
    }
  }

  /** A user's events after a sequence, and the greatest sequence the retention deleted of them (0 if none). */
  record EventsAfter(List<ActivityRecord> events, long prunedUpTo) {}

  /**
   * Returns the user's events after {@code afterSequence}, ascending, and how far the retention deleted them.
   * PostgreSQL reads both in one statement, one round trip, from one snapshot: the retention deletes events
   * and moves {@code pruned_up_to} in one transaction, so the two agree. The other databases, in process, read
   * the events first, then the head.
   */
  static EventsAfter eventsAfterAndPruned(Transaction tx, String userId, long afterSequence, int max)
      throws SQLException {
    if (!tx.dialect.oneStatementWrites()) {
      return new EventsAfter(eventsAfter(tx, userId, afterSequence, max), prunedUpTo(tx, userId));
    }
    // One row at least: with no event, one row of NULLs but the head's (NULL too when the user has no head).
    try (PreparedStatement select = tx.connection.prepareStatement("SELECT h.pruned_up_to, e.sequence,"
        + " e.user_id, e.action, e.details, e.occurred_at_ms FROM (SELECT 1) AS one"
        + " LEFT JOIN activity_heads h ON h.user_id = ?"
        + " LEFT JOIN (SELECT " + EVENT_COLUMNS + " FROM activity WHERE user_id = ? AND sequence > ?"
        + " ORDER BY sequence LIMIT ?) e ON true ORDER BY e.sequence")) {
      select.setString(1, userId);
      select.setString(2, userId);
      select.setLong(3, afterSequence);
      select.setInt(4, max);
      List<ActivityRecord> events = new ArrayList<>();
      long prunedUpTo = 0;
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          prunedUpTo = rows.getLong(1); // 0 for NULL
          if (rows.getObject(2) != null) { // NULL: no event, the row only carries the head
            events.add(event(rows, 2));
          }
        }
      }
      return new EventsAfter(List.copyOf(events), prunedUpTo);
    }
  }

  /** Returns the greatest sequence the retention deleted of the user's events; 0 if none. */
  static long prunedUpTo(Transaction tx, String userId) throws SQLException {
    return head(tx, userId, "pruned_up_to");
  }

  /** Returns the user's head: the greatest sequence given to one of its events; 0 if none. */
  static long lastSequence(Transaction tx, String userId) throws SQLException {
    return head(tx, userId, "last_sequence");
  }

  private static long head(Transaction tx, String userId, String column) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + column + " FROM activity_heads WHERE user_id = ?")) {
      select.setString(1, userId);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? rows.getLong(1) : 0;
      }
    }
  }

  /**
   * Returns the heads of the users that have one, {@value #IDS_PER_QUERY} ids per query: an IN list, which
   * every database here has (PostgreSQL's {@code = ANY(?)} would take one array, H2 and SQLite differ).
   */
  static Map<String, Long> lastSequences(Transaction tx, Collection<String> userIds) throws SQLException {
    Map<String, Long> heads = new HashMap<>();
    List<String> ids = List.copyOf(userIds);
    for (int from = 0; from < ids.size(); from += IDS_PER_QUERY) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_QUERY));
      String marks = String.join(", ", Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement select = tx.connection.prepareStatement(
          "SELECT user_id, last_sequence FROM activity_heads WHERE user_id IN (" + marks + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          select.setString(i + 1, chunk.get(i));
        }
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            heads.put(rows.getString(1), rows.getLong(2));
          }
        }
      }
    }
    return heads;
  }

  /** Returns the event recorded with a RecordActivity request id. */
  static Optional<ActivityRecord> findRecorded(Transaction tx, String requestId) throws SQLException {
    try (PreparedStatement select = tx.connection.prepareStatement(
        "SELECT " + EVENT_COLUMNS + " FROM activity WHERE request_id = ?")) {
      select.setString(1, requestId);
      return readEvents(select).stream().findFirst();
    }
  }

  /** Reads rows of the five {@link #EVENT_COLUMNS}, in that order. */
  private static List<ActivityRecord> readEvents(PreparedStatement select) throws SQLException {
    List<ActivityRecord> events = new ArrayList<>();
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        events.add(event(rows, 1));
      }
    }
    return events;
  }

  /** Reads the five {@link #EVENT_COLUMNS} of the current row, in that order, from column {@code first} on. */
  private static ActivityRecord event(ResultSet rows, int first) throws SQLException {
    return new ActivityRecord(rows.getLong(first), rows.getString(first + 1), rows.getString(first + 2),
        rows.getString(first + 3), rows.getLong(first + 4));
  }
}
