package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The store's HikariCP pool as the store uses it: connections borrowed in slices that give up as soon as the
 * {@link DatabaseCircuitBreaker} opens, and the pool's state for metrics.
 */
final class ConnectionPool implements AutoCloseable {

  /** The slices a call's wait for a connection is cut into; see {@link #borrow}. */
  private static final Duration BORROW_SLICE = Duration.ofMillis(100);

  private final HikariDataSource dataSource;
  private final DatabaseCircuitBreaker breaker;

  ConnectionPool(HikariDataSource dataSource, DatabaseCircuitBreaker breaker) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
    this.breaker = requireNonNull(breaker, "breaker");
  }

  HikariDataSource dataSource() {
    return dataSource;
  }

  /**
   * Takes a connection from the pool, waiting at most {@code timeout}, in slices of {@link #BORROW_SLICE}:
   * between two, a wait that the circuit breaker has meanwhile given up on ends at once, so that the calls
   * waiting when the database goes away fail within a slice of the breaker opening, not after the whole
   * timeout. A slice that ended on a failed attempt to connect counts as a connection failure.
   */
  Connection borrow(Duration timeout) throws SQLException {
    HikariPool pool = (HikariPool) dataSource.getHikariPoolMXBean();
    if (pool == null) {
      return dataSource.getConnection();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      try {
        long slice = Math.min(BORROW_SLICE.toMillis(), TimeUnit.NANOSECONDS.toMillis(left));
        return pool.getConnection(Math.max(1, slice));
      } catch (SQLTransientConnectionException e) {
        if (SqlFailures.isConnectionFailure(e)) {
          breaker.recordConnectionFailure();
        }
        if (breaker.isOpen() || deadline - System.nanoTime() <= 0) {
          throw e;
        }
      }
    }
  }

  /** Returns the pool's current state: active, idle and total connections, and threads waiting for one. */
  JdbcUserStore.PoolStats stats() {
    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
    if (pool == null) {
      return new JdbcUserStore.PoolStats(0, 0, 0, 0);
    }
    return new JdbcUserStore.PoolStats(pool.getActiveConnections(), pool.getIdleConnections(),
        pool.getTotalConnections(), pool.getThreadsAwaitingConnection());
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
