package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A store's background work (pruning, housekeeping): a task run on a daemon thread of its own, with a fixed
 * delay between runs, until closed. Closing waits for a run under way (up to 10 s), since the store closes
 * its connection pool next and a run cut off there would leave its connection in the middle of a write.
 */
final class PeriodicTask implements AutoCloseable {

  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private final ScheduledExecutorService executor;

  private PeriodicTask(ScheduledExecutorService executor) {
    this.executor = executor;
  }

  /**
   * Runs {@code task} every {@code period}, the first time after one period.
   *
   * @param threadName the name of the task's thread
   * @param task what to run; it must catch its own failures, or the runs stop
   */
  static PeriodicTask start(String threadName, Duration period, Runnable task) {
    requireNonNull(threadName, "threadName");
    requireNonNull(task, "task");
    long millis = period.toMillis();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    });
    var unused = executor.scheduleWithFixedDelay(task, millis, millis, TimeUnit.MILLISECONDS);
    return new PeriodicTask(executor);
  }

  /** Stops the runs, waiting for one under way. Idempotent. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
