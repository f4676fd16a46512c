package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.service.store.ContentsSink;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.User;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@link JdbcUserStore#exportTo}: the whole store read in one read-only transaction that sees one snapshot,
 * so that a server may keep writing meanwhile: REPEATABLE READ on PostgreSQL (a snapshot from the first
 * statement on, as {@code pg_dump} takes it), SERIALIZABLE on H2, whose REPEATABLE READ lets rows of a table
 * not yet read appear. Rows are fetched {@value #FETCH_SIZE} at a time, so memory does not grow with the
 * store.
 */
final class JdbcExport {

  /** The rows fetched per round trip; PostgreSQL's driver reads through a cursor only with a fetch size. */
  static final int FETCH_SIZE = 1000;

  private JdbcExport() {}

  /**
   * Runs the export on {@code connection}, which it leaves rolled back, with its isolation and read-only
   * flag changed (the pool restores them).
   */
  static void run(Connection connection, Function<StoreSummary, ContentsSink> begin) throws SQLException {
    checkSupported(connection);
    boolean h2 = isH2(connection);
    connection.setAutoCommit(false);
    connection.setReadOnly(true);
    connection.setTransactionIsolation(h2 ? Connection.TRANSACTION_SERIALIZABLE : Connection.TRANSACTION_REPEATABLE_READ);
    try {
      long users = single(connection, "SELECT COUNT(*) FROM users");
      long createRequests = single(connection, "SELECT COUNT(*) FROM create_requests");
      JdbcActivityTransfer.Log log = JdbcActivityTransfer.read(connection);
      ContentsSink sink = begin.apply(new StoreSummary(users, createRequests, log.events(), log.lastSequence(),
          log.prunedUpTo()));
      try (PreparedStatement select = connection.prepareStatement(
          "SELECT " + UserRows.USER_COLUMNS + " FROM users ORDER BY id")) {
        select.setFetchSize(FETCH_SIZE);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            sink.user(user(rows, 1));
          }
        }
      }
      // By byte, as Java compares strings: PostgreSQL's default collation would order by language rules.
      try (PreparedStatement select = connection.prepareStatement("SELECT request_id, " + UserRows.CREATED_USER_COLUMNS
          + " FROM create_requests ORDER BY request_id" + (h2 ? "" : " COLLATE \"C\""))) {
        select.setFetchSize(FETCH_SIZE);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            sink.createRequest(rows.getString(1), user(rows, 2));
          }
        }
      }
      JdbcActivityTransfer.export(connection, sink);
    } finally {
      connection.rollback();
    }
  }

  /**
   * Refuses a database that export and import were not written for (SQLite: its snapshot and write lock work
   * otherwise), before anything is read or written.
   *
   * @throws UnsupportedOperationException naming the database
   */
  static void checkSupported(Connection connection) throws SQLException {
    String product = connection.getMetaData().getDatabaseProductName();
    if (!isH2(connection) && !product.toUpperCase(Locale.ROOT).contains("POSTGRESQL")) {
      throw new UnsupportedOperationException("export and import support H2 and PostgreSQL stores, not " + product
          + "; move the store with the database's own tools");
    }
  }

  /** Tells H2 from PostgreSQL, the two databases of the store. */
  static boolean isH2(Connection connection) throws SQLException {
    return connection.getMetaData().getDatabaseProductName().toUpperCase(Locale.ROOT).contains("H2");
  }

  /** Returns the one number that {@code sql} selects. */
  static long single(Connection connection, String sql) throws SQLException {
    try (Statement select = connection.createStatement(); ResultSet rows = select.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /** Reads a user from the seven columns of {@link UserRows#USER_COLUMNS} from {@code first} on. */
  private static User user(ResultSet rows, int first) throws SQLException {
    return new User(rows.getString(first), rows.getString(first + 1), rows.getString(first + 2),
        rows.getString(first + 3), rows.getLong(first + 4), rows.getLong(first + 5), rows.getLong(first + 6));
  }
}
