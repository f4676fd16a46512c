package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.server.activity.jetstream.OutboxEntry;
import io.github.usergrpc.user.server.activity.jetstream.OutboxSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The SQL of the {@code activity_outbox} table (V5): the events of mutations, for a store opened with
 * {@link JdbcSettings#activityOutbox()}, until they are in the activity stream. See {@link OutboxSource} for
 * why a user's rows are numbered in commit order.
 */
final class JdbcOutbox implements OutboxSource {

  static final String COLUMNS = "id, user_id, action, details, occurred_at_ms";
  private static final String INSERT = "INSERT INTO activity_outbox (user_id, action, details, occurred_at_ms)"
      + " VALUES (?, ?, ?, ?)";
  static final String PENDING_OF_USER = "SELECT " + COLUMNS + " FROM activity_outbox WHERE user_id = ?";
  /**
   * The insert and the user's rows pending before it, in one statement. Its snapshot is taken when it starts:
   * after the transaction locked the user's row, so it holds every earlier change of the user. It does not
   * hold the row that its own {@code WITH} inserts, which the {@code RETURNING} adds.
   */
  private static final String INSERT_RETURNING_PENDING = "WITH entry AS (" + INSERT + " RETURNING " + COLUMNS
      + ") " + PENDING_OF_USER + " UNION ALL SELECT " + COLUMNS + " FROM entry ORDER BY 1";
  /** How many ids one DELETE names. */
  private static final int IDS_PER_DELETE = 100;

  private final Transactions transactions;

  JdbcOutbox(Transactions transactions) {
    this.transactions = transactions;
  }

  /** Writes a mutation's event, in the mutation's transaction (after it locked the user's row). */
  static void insert(Transaction tx, String userId, String action, String details, long nowMillis)
      throws SQLException {
    try (PreparedStatement insert = tx.connection.prepareStatement(INSERT)) {
      setEntry(insert, userId, action, details, nowMillis);
      insert.executeUpdate();
    }
  }

  /**
   * Writes the event of a change of an existing user, in its transaction, after the transaction locked the
   * user's row, and reads the user's pending rows, the new one last, into {@code tx.pendingOutbox} for the
   * {@linkplain #addCommitListener listeners}: so that the server need not read them again after the commit to
   * publish them. PostgreSQL does both in one statement; the other databases, which run in process, in two.
   */
  static void insertAndReadPending(Transaction tx, String userId, String action, String details, long nowMillis)
      throws SQLException {
    if (tx.dialect.oneStatementWrites()) {
      try (PreparedStatement statement = tx.connection.prepareStatement(INSERT_RETURNING_PENDING)) {
        setEntry(statement, userId, action, details, nowMillis);
        statement.setString(5, userId);
        tx.pendingOutbox = read(statement);
      }
      return;
    }
    insert(tx, userId, action, details, nowMillis);
    try (PreparedStatement select = tx.connection.prepareStatement(PENDING_OF_USER + " ORDER BY id")) {
      select.setString(1, userId);
      tx.pendingOutbox = read(select);
    }
  }

  private static void setEntry(PreparedStatement statement, String userId, String action, String details,
      long nowMillis) throws SQLException {
    statement.setString(1, userId);
    statement.setString(2, action);
    statement.setString(3, details);
    statement.setLong(4, nowMillis);
  }

  @Override
  public void addCommitListener(Consumer<List<OutboxEntry>> listener) {
    transactions.addOutboxListener(listener);
  }

  @Override
  public List<OutboxEntry> pending(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    return transactions.read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement(
          "SELECT " + COLUMNS + " FROM activity_outbox ORDER BY id LIMIT ?")) {
        select.setInt(1, max);
        return read(select);
      }
    });
  }

  @Override
  public List<OutboxEntry> pending(String userId) {
    return transactions.read(tx -> {
      try (PreparedStatement select = tx.connection.prepareStatement(PENDING_OF_USER + " ORDER BY id")) {
        select.setString(1, userId);
        return read(select);
      }
    });
  }

  @Override
  public Optional<List<OutboxEntry>> pendingIfUserExists(String userId) {
    return transactions.read(tx -> {
      // No row: no such user; one row with a NULL id: the user, with nothing pending.
      try (PreparedStatement select = tx.connection.prepareStatement("SELECT o.id, u.id, o.action, o.details,"
          + " o.occurred_at_ms FROM users u LEFT JOIN activity_outbox o ON o.user_id = u.id WHERE u.id = ?"
          + " ORDER BY o.id")) {
        select.setString(1, userId);
        List<OutboxEntry> rows = new ArrayList<>();
        boolean exists = false;
        try (ResultSet result = select.executeQuery()) {
          while (result.next()) {
            exists = true;
            long id = result.getLong(1);
            if (!result.wasNull()) {
              rows.add(new OutboxEntry(id, result.getString(2), result.getString(3), result.getString(4),
                  result.getLong(5)));
            }
          }
        }
        return exists ? Optional.of(List.copyOf(rows)) : Optional.empty();
      }
    });
  }

  @Override
  public void markRelayed(List<Long> ids) {
    if (ids.isEmpty()) {
      return;
    }
    List<Long> all = List.copyOf(ids);
    transactions.transact(tx -> {
      for (int from = 0; from < all.size(); from += IDS_PER_DELETE) {
        List<Long> chunk = all.subList(from, Math.min(all.size(), from + IDS_PER_DELETE));
        String marks = String.join(", ", Collections.nCopies(chunk.size(), "?"));
        try (PreparedStatement delete = tx.connection.prepareStatement(
            "DELETE FROM activity_outbox WHERE id IN (" + marks + ")")) {
          for (int i = 0; i < chunk.size(); i++) {
            delete.setLong(i + 1, chunk.get(i));
          }
          delete.executeUpdate();
        }
      }
      return null;
    });
  }

  /** Reads rows of the {@link #COLUMNS}, in that order. */
  static List<OutboxEntry> read(PreparedStatement select) throws SQLException {
    List<OutboxEntry> rows = new ArrayList<>();
    try (ResultSet result = select.executeQuery()) {
      while (result.next()) {
        rows.add(new OutboxEntry(result.getLong(1), result.getString(2), result.getString(3), result.getString(4),
            result.getLong(5)));
      }
    }
    return rows;
  }
}
