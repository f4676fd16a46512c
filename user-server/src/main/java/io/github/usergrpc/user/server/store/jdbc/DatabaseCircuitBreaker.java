package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Fails a {@link JdbcUserStore}'s calls at once while its database cannot be reached, instead of letting each
 * wait for a connection that will not come.
 *
 * <p>Why: while PostgreSQL was down, every call waited the pool's whole connection timeout (3 s) for a
 * connection; at 50 calls/s the server's threads filled up, calls queued behind them and ended
 * DEADLINE_EXCEEDED at the client instead of UNAVAILABLE. Now {@value #FAILURES_TO_OPEN} connection failures
 * in a row (a refused or broken connection, a shutdown, no connection after a failed attempt; never a
 * statement error or a busy pool) open the breaker: calls, pings included, fail with
 * {@link StoreUnavailableException} without touching the pool. While open, a probe (the half-open state's
 * trial) connects to the database directly, outside the pool, every {@link #PROBE_INTERVAL}; the first that
 * answers closes the breaker, and calls go to the pool again.
 *
 * <p>Thread-safe.
 */
final class DatabaseCircuitBreaker implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(DatabaseCircuitBreaker.class.getName());

  /** Connection failures in a row that open the breaker. */
  static final int FAILURES_TO_OPEN = 3;
  /** How often an open breaker tries the database. */
  static final Duration PROBE_INTERVAL = Duration.ofMillis(200);

  /** Connects to the database outside the pool and runs a trivial query; throws if it cannot. */
  @FunctionalInterface
  interface Probe {
    void run() throws Exception;
  }

  private final Probe probe;
  private final ScheduledExecutorService prober;
  private final AtomicInteger failuresInARow = new AtomicInteger();
  private final Object lock = new Object();
  private volatile boolean open;
  @GuardedBy("lock")
  private long openedAtNanos;
  /** The probes while the breaker is open, every {@link #PROBE_INTERVAL}; cancelled by the first that answers. */
  @GuardedBy("lock")
  @Nullable
  private ScheduledFuture<?> probing;

  DatabaseCircuitBreaker(Probe probe) {
    this.probe = requireNonNull(probe, "probe");
    this.prober = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "user-store-circuit-probe");
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Throws at once while the breaker is open.
   *
   * @throws StoreUnavailableException if it is
   */
  void checkClosed() {
    if (open) {
      throw new StoreUnavailableException(
          new SQLTransientConnectionException("the database is unreachable; the circuit breaker is open"));
    }
  }

  /** Tells whether calls are being failed at once. */
  boolean isOpen() {
    return open;
  }

  /** Records a call that reached the database. */
  void recordSuccess() {
    if (failuresInARow.get() != 0) {
      failuresInARow.set(0);
    }
  }

  /** Records a failure to reach the database; opens the breaker at the {@value #FAILURES_TO_OPEN}th in a row. */
  void recordConnectionFailure() {
    if (failuresInARow.incrementAndGet() < FAILURES_TO_OPEN || open) {
      return;
    }
    synchronized (lock) {
      if (open || prober.isShutdown()) {
        return;
      }
      open = true;
      openedAtNanos = System.nanoTime();
      long millis = PROBE_INTERVAL.toMillis();
      probing = prober.scheduleWithFixedDelay(this::probe, millis, millis, TimeUnit.MILLISECONDS);
    }
    logger.log(Level.WARNING, "{0} - the database is unreachable ({1} connection failures in a row): failing"
        + " calls at once until it answers", new Object[] {JdbcUserStore.POOL_NAME, FAILURES_TO_OPEN});
  }

  @Override
  public void close() {
    synchronized (lock) {
      prober.shutdownNow();
    }
  }

  private void probe() {
    try {
      probe.run();
    } catch (Exception | LinkageError e) {
      // Still unreachable: the next probe comes after PROBE_INTERVAL.
      return;
    }
    long openMillis;
    synchronized (lock) {
      if (probing == null) {
        return;
      }
      probing.cancel(false);
      probing = null;
      failuresInARow.set(0);
      open = false;
      openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAtNanos);
    }
    logger.log(Level.INFO, "{0} - the database answers again after {1} ms: calls go to it again",
        new Object[] {JdbcUserStore.POOL_NAME, openMillis});
  }
}
