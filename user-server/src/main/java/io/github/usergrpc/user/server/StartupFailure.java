package io.github.usergrpc.user.server;

import java.io.IOException;
import java.net.BindException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalLong;
import javax.annotation.Nullable;

/**
 * Why the server cannot start, worded for the operator: the cause and the remedy on one line, which
 * {@link UserServerMain} prints as {@code user-server: cannot start: <message>} before it exits with 1. The
 * exception it came from is kept as the cause, for {@code --verbose}.
 *
 * <p>Failures are told apart by what the libraries report in a structured way (exception types, SQLStates,
 * vendor error codes), not by their English messages.
 */
final class StartupFailure extends Exception {

  private static final long serialVersionUID = 1L;

  /** H2's DATABASE_ALREADY_OPEN_1: another process holds the database file's lock. */
  private static final int H2_DATABASE_ALREADY_OPEN = 90020;
  /** SQLite's SQLITE_NOTADB, which xerial's driver reports as the vendor code: the file is something else. */
  private static final int SQLITE_NOT_A_DATABASE = 26;

  /**
   * Creates the failure.
   *
   * @param message the cause and the remedy, one line
   * @param cause what failed, shown with {@code --verbose}
   */
  StartupFailure(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /**
   * Returns the failure to listen on {@code port}, the value of {@code option}.
   *
   * @param e what binding threw: a {@link BindException}, or an exception caused by one
   */
  static StartupFailure listen(int port, String option, IOException e) {
    Optional<BindException> bind = cause(e, BindException.class);
    String portAndOption = "port " + port + " (" + option + ")";
    if (bind.isPresent() && isAddressInUse(bind.get())) {
      return new StartupFailure(portAndOption + " is already in use; stop what listens on it, or choose another "
          + option + " (0 picks a free port)", e);
    }
    return new StartupFailure("cannot listen on " + portAndOption + ": "
        + bind.map(Throwable::getMessage).orElse(e.getMessage()) + "; choose another " + option, e);
  }

  /**
   * Returns the failure to open the store that {@code options} name, from what opening it threw.
   *
   * @param e what {@code JdbcUserStore.open} threw
   * @param options the options, for the names and the options to point at
   */
  static StartupFailure openStore(RuntimeException e, ServerOptions options) {
    String store = options.store();
    Optional<SQLException> sql = cause(e, SQLException.class);
    if (store.startsWith("jdbc:postgresql:")) {
      Optional<String> described = PostgresFailures.describe(e, store, options.dbUser());
      if (described.isPresent()) {
        return new StartupFailure(described.get(), e);
      }
    } else if (store.startsWith("h2:") && sql.isPresent() && isH2Locked(e)) {
      String path = store.substring(3);
      OptionalLong holder = H2DataPath.lockHolder(path);
      return new StartupFailure("the database " + path + " is locked by another process"
          + (holder.isPresent() ? " (pid " + holder.getAsLong() + ")" : "")
          + "; stop the other server using it, or choose another --store path", e);
    }
    if (store.startsWith("sqlite:") && sql.isPresent() && isSqliteNotADatabase(e)) {
      return new StartupFailure("the file " + store.substring("sqlite:".length()) + " is not a SQLite database"
          + "; point --store sqlite: at another file (an H2 database is opened with --store h2:<path>)", e);
    }
    return new StartupFailure("cannot open the user store " + options.storeForLog()
        + sql.map(s -> s.getSQLState() == null ? "" : " (SQLState " + s.getSQLState() + ")").orElse("")
        + "; run with --verbose to see why", e);
  }

  private static boolean isSqliteNotADatabase(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() == null
          && sql.getErrorCode() == SQLITE_NOT_A_DATABASE) {
        return true;
      }
    }
    return false;
  }

  private static boolean isH2Locked(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getErrorCode() == H2_DATABASE_ALREADY_OPEN) {
        return true;
      }
    }
    return false;
  }

  /**
   * Tells whether binding failed because the address is taken (EADDRINUSE). The JDK reports the errno only
   * as its text, so this is the one place that reads a message; the text is the C library's, not a
   * translation.
   */
  private static boolean isAddressInUse(BindException e) {
    return e.getMessage() != null && e.getMessage().contains("in use");
  }

  /** Returns the first exception of type {@code type} in the causal chain of {@code e}. */
  static <T extends Throwable> Optional<T> cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return Optional.of(type.cast(t));
      }
    }
    return Optional.empty();
  }
}
