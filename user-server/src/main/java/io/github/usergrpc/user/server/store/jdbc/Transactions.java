package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.activity.jetstream.OutboxEntry;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * The transaction template of a {@link JdbcUserStore}: runs work on a pooled connection, commits or rolls
 * back, turns {@link SQLException}s into the store's exceptions, and tells the commit listeners about the
 * event a committed transaction appended, or the outbox rows it read.
 */
final class Transactions {

  private static final Logger logger = Logger.getLogger(Transactions.class.getName());

  private static final int PING_TIMEOUT_SECONDS = 1;
  /** The longest a health ping waits for a pooled connection, so that health reflects an outage quickly. */
  private static final Duration PING_CONNECTION_WAIT = Duration.ofSeconds(1);

  private final ConnectionPool pool;
  private final SqlDialect dialect;
  private final WriteTurn writeTurn;
  private final DatabaseCircuitBreaker breaker;
  private final Duration connectionTimeout;
  /** Keeps an embedded SQLite database's WAL in proportion after each write; null for the other databases. */
  @Nullable private final SqliteHousekeeping sqliteHousekeeping;
  private final List<Consumer<ActivityRecord>> commitListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<List<OutboxEntry>>> outboxListeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  Transactions(ConnectionPool pool, SqlDialect dialect, WriteTurn writeTurn, DatabaseCircuitBreaker breaker,
      Duration connectionTimeout, @Nullable SqliteHousekeeping sqliteHousekeeping) {
    this.pool = requireNonNull(pool, "pool");
    this.dialect = requireNonNull(dialect, "dialect");
    this.writeTurn = requireNonNull(writeTurn, "writeTurn");
    this.breaker = requireNonNull(breaker, "breaker");
    this.connectionTimeout = requireNonNull(connectionTimeout, "connectionTimeout");
    this.sqliteHousekeeping = sqliteHousekeeping;
  }

  void addCommitListener(Consumer<ActivityRecord> listener) {
    commitListeners.add(requireNonNull(listener, "listener"));
  }

  /** See {@link io.github.usergrpc.user.server.activity.jetstream.OutboxSource#addCommitListener}. */
  void addOutboxListener(Consumer<List<OutboxEntry>> listener) {
    outboxListeners.add(requireNonNull(listener, "listener"));
  }

  /** Makes every later call throw {@link StoreUnavailableException}; returns false if it was done already. */
  boolean close() {
    return !closed.getAndSet(true);
  }

  /**
   * Runs {@code work} in one transaction on a pooled connection and commits it; rolls back when it
   * throws. Commit listeners run after a commit that appended an event.
   */
  <T> T transact(Transaction.Work<T> work) {
    return write(work, false);
  }

  /**
   * Runs {@code work}, a single statement that writes, on a pooled connection in autocommit mode: the
   * statement is a transaction of its own, committed as it completes, or rolled back whole when it fails.
   * Nothing else is sent: one round trip to the database, where {@link #transact} needs one per statement
   * and one more for the COMMIT. Commit listeners run after it as after {@link #transact}. See {@link #read}
   * for why switching autocommit costs nothing.
   */
  <T> T writeStatement(Transaction.Work<T> work) {
    return write(work, true);
  }

  private <T> T write(Transaction.Work<T> work, boolean oneStatement) {
    checkOpen();
    breaker.checkClosed();
    Transaction tx;
    T result;
    long deadline = System.nanoTime() + connectionTimeout.toNanos();
    writeTurn.acquire(connectionTimeout);
    try (Connection connection = pool.borrow(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
      tx = new Transaction(connection, dialect);
      if (oneStatement) {
        connection.setAutoCommit(true);
        result = work.run(tx);
      } else {
        result = inTransaction(tx, work);
      }
      breaker.recordSuccess();
      if (sqliteHousekeeping != null) {
        // Committed; still this writer's turn, so the checkpoint has no writer of this store in its way.
        sqliteHousekeeping.afterWrite(connection);
      }
    } catch (SQLException e) {
      throw translate(e);
    } finally {
      writeTurn.release();
    }
    if (tx.appended != null) {
      tell(commitListeners, tx.appended);
    }
    if (tx.pendingOutbox != null) {
      tell(outboxListeners, tx.pendingOutbox);
    }
    return result;
  }

  private <T> T inTransaction(Transaction tx, Transaction.Work<T> work) throws SQLException {
    Connection connection = tx.connection;
    try {
      // A connection that rests in autocommit begins its transaction here (SQLite: BEGIN IMMEDIATE).
      connection.setAutoCommit(false);
      T result = work.run(tx);
      if (dialect.restsInAutocommit()) {
        // Commits; commit() would begin the next IMMEDIATE transaction and hold the write lock in the pool.
        connection.setAutoCommit(true);
      } else {
        connection.commit();
      }
      return result;
    } catch (SQLException | RuntimeException e) {
      rollback(connection, e);
      if (dialect.restsInAutocommit()) {
        restoreAutocommit(connection, e);
      }
      throw e;
    }
  }

  /**
   * Runs {@code work}, a single read-only statement, on a pooled connection in autocommit mode. Such a
   * statement is a transaction of its own with the same READ COMMITTED view as in {@link #transact}, and it
   * needs no COMMIT: with autocommit off, every read cost a second round trip to the database for the
   * COMMIT, and PostgreSQL a second transaction start and end. Switching autocommit on and back (HikariCP
   * restores the pool's setting when the connection is returned) sends nothing to the database while no
   * transaction is open, which is always the case for a connection taken from the pool.
   */
  <T> T read(Transaction.Work<T> work) {
    checkOpen();
    breaker.checkClosed();
    try (Connection connection = pool.borrow(connectionTimeout)) {
      connection.setAutoCommit(true);
      T result = work.run(new Transaction(connection, dialect));
      breaker.recordSuccess();
      return result;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Runs {@code SELECT 1} with a one-second timeout on a pooled connection, waiting at most a second for
   * the connection; throws at once while the circuit breaker is open.
   */
  void ping() {
    checkOpen();
    breaker.checkClosed();
    Duration wait = connectionTimeout.compareTo(PING_CONNECTION_WAIT) < 0
        ? connectionTimeout
        : PING_CONNECTION_WAIT;
    try (Connection connection = pool.borrow(wait);
        Statement select = connection.createStatement()) {
      select.setQueryTimeout(PING_TIMEOUT_SECONDS);
      try {
        select.execute("SELECT 1");
      } finally {
        // H2 applies a statement's query timeout to its whole session, i.e. to the pooled connection: left
        // set, it would cancel every later query on that connection after one second (STORE_UNAVAILABLE).
        select.setQueryTimeout(0);
      }
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
      breaker.recordSuccess();
    } catch (SQLException e) {
      if (SqlFailures.isConnectionFailure(e)) {
        breaker.recordConnectionFailure();
      }
      throw new StoreUnavailableException(e);
    }
  }

  /**
   * Lends a connection of the pool for work that manages its own transaction (export, import); the caller
   * closes it.
   */
  Connection borrow() throws SQLException {
    checkOpen();
    breaker.checkClosed();
    return pool.borrow(connectionTimeout);
  }

  private static void restoreAutocommit(Connection connection, Exception failure) {
    try {
      connection.setAutoCommit(true);
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new StoreUnavailableException(new IllegalStateException("the user store is closed"));
    }
  }

  private RuntimeException translate(SQLException e) {
    if (SqlFailures.isConnectionFailure(e)) {
      breaker.recordConnectionFailure();
    }
    if (SqlFailures.isUniqueViolation(e)) {
      return new DuplicateKeyException(e, dialect);
    }
    if (SqlFailures.isUnavailable(e) || closed.get()) {
      return new StoreUnavailableException(e);
    }
    return new IllegalStateException("user store query failed with SQLState " + e.getSQLState(), e);
  }

  private static <T> void tell(List<Consumer<T>> listeners, T committed) {
    for (Consumer<T> listener : listeners) {
      try {
        listener.accept(committed);
      } catch (RuntimeException e) {
        // The change is committed: a failing listener must not make it look failed.
        logger.log(Level.WARNING, "a commit listener failed", e);
      }
    }
  }

  private static void rollback(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }
}
