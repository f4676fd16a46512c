package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.annotation.Nullable;

/**
 * The turn to run a write transaction, for the dialects that let one run at a time
 * ({@link SqlDialect#singleWriter}); with the others every writer has its turn at once. Taken by the store's
 * transactions and by its background pruner alike.
 *
 * <p>Why in the store rather than in the database: SQLite writers would otherwise wait for the database's
 * lock with {@code busy_timeout}, which sleeps between attempts up to 100 ms at a time and serves no one in
 * order; and H2 (2.5.252) lets concurrent writers of one row lose an update (see {@link SqlDialect#H2}).
 */
final class WriteTurn {

  /** Fair: writers are served in the order they came, as the row locks of the other databases serve them. */
  @Nullable private final ReentrantLock lock;

  WriteTurn(SqlDialect dialect) {
    this.lock = requireNonNull(dialect, "dialect").singleWriter() ? new ReentrantLock(true) : null;
  }

  /**
   * Waits at most {@code timeout} for the turn.
   *
   * @throws StoreUnavailableException if the turn did not come in time, or the wait was interrupted
   */
  void acquire(Duration timeout) {
    if (lock == null) {
      return;
    }
    try {
      if (lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new StoreUnavailableException(new SQLTransientConnectionException(
        "no write turn within " + timeout.toMillis() + " ms"));
  }

  /** Ends the turn that {@link #acquire} gave. */
  void release() {
    if (lock != null) {
      lock.unlock();
    }
  }
}
