package io.github.usergrpc.user.server.store.jdbc;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import java.util.Set;

/** Sorts the {@link SQLException}s of PostgreSQL, H2 and SQLite into what the store does with them. */
final class SqlFailures {

  /** {@code unique_violation} on both databases. */
  private static final String UNIQUE_VIOLATION = "23505";

  /**
   * SQLStates, beyond class 08 (connection exception), after which the database may well answer a retry:
   * PostgreSQL shutting down or starting ({@code 57P01}-{@code 57P03}), out of connections or other
   * resources (class {@code 53}), a statement or lock timeout ({@code 57014}, {@code 55P03}); H2's broken
   * connection ({@code 90067}), closed database ({@code 90098}, {@code 90121}) and lock timeout
   * ({@code HYT00}).
   */
  private static final Set<String> TRANSIENT_STATES =
      Set.of("57P01", "57P02", "57P03", "57014", "55P03", "90067", "90098", "90121", "HYT00");

  /**
   * SQLite's primary result codes, which xerial's driver reports as the vendor code, with no SQLState: the
   * database locked beyond {@code busy_timeout} (BUSY, LOCKED), an I/O error, a full disk, a file that cannot
   * be opened. H2's vendor codes are five digits, PostgreSQL's are 0: these do not clash.
   */
  private static final Set<Integer> SQLITE_UNAVAILABLE_CODES = Set.of(5, 6, 10, 13, 14);
  private static final int SQLITE_CONSTRAINT = 19;

  /** PostgreSQL shutting down or starting. */
  private static final Set<String> CONNECTION_LOST_STATES = Set.of("57P01", "57P02", "57P03");

  private SqlFailures() {}

  /** Tells whether a unique index or primary key rejected a write. */
  static boolean isUniqueViolation(SQLException e) {
    if (e.getSQLState() == null && e.getErrorCode() == SQLITE_CONSTRAINT) {
      return Sqlite.isUniqueViolation(e);
    }
    return UNIQUE_VIOLATION.equals(e.getSQLState());
  }

  /**
   * Tells whether {@code e} means the database cannot be reached or cannot serve right now, rather than
   * that a statement is wrong: HikariCP's timeout when no connection can be had, a lost or refused
   * connection, a shutdown, a timeout.
   */
  static boolean isUnavailable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
          || t instanceof SQLTimeoutException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || state.startsWith("53") || TRANSIENT_STATES.contains(state)) {
          return true;
        }
      }
      if (t instanceof SQLException sql && sql.getSQLState() == null
          && SQLITE_UNAVAILABLE_CODES.contains(sql.getErrorCode())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tells whether {@code e} means the database itself could not be reached or went away: a connection
   * refused, broken or closed (SQLState class 08), a server shutting down or starting ({@code 57P01} to
   * {@code 57P03}), or the pool's timeout when its last attempt to connect failed. Not a busy pool, a slow
   * statement or a statement error: those say nothing about the database being down.
   */
  static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || CONNECTION_LOST_STATES.contains(state)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * What needs xerial's classes, which are loaded only when a SQLite failure is sorted: the driver is
   * optional.
   */
  private static final class Sqlite {

    static boolean isUniqueViolation(SQLException e) {
      return e instanceof org.sqlite.SQLiteException sqlite
          && (sqlite.getResultCode() == org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
              || sqlite.getResultCode() == org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY);
    }
  }

  /** Returns the first {@link SQLException} in the causal chain of {@code e}. */
  static Optional<SQLException> sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return Optional.of(sql);
      }
    }
    return Optional.empty();
  }
}
