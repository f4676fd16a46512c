package io.github.usergrpc.user.server;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition instead of sleeping for a guessed time. The bound is only how long a broken test
 * takes to fail: generous, so that a machine busy with other builds never turns a slow pass into a failure.
 */
public final class Await {

  /** How long a condition may take before the test fails. */
  public static final Duration BOUND = Duration.ofSeconds(60);

  private static final long POLL_NANOS = 5_000_000;

  private Await() {}

  /**
   * Returns once {@code condition} holds; fails after {@link #BOUND}.
   *
   * @param what what is awaited, for the failure message
   * @param condition checked every few milliseconds
   */
  public static void until(String what, BooleanSupplier condition) {
    until(() -> what, condition);
  }

  /**
   * Returns once {@code condition} holds; fails after {@link #BOUND} with the message {@code what} gives
   * then (so that it can describe the state at the time of failure).
   *
   * @param what describes what is awaited and what was seen
   * @param condition checked every few milliseconds
   */
  public static void until(Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + BOUND.toSeconds() + " s waiting for " + what.get());
      }
      try {
        Thread.sleep(POLL_NANOS / 1_000_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what.get(), e);
      }
    }
  }
}
