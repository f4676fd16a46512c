package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Lets a message that every call may log through at most once per interval, and counts the ones held back:
 * while a dependency is down, or a client sends garbage, each of hundreds of calls a second fails the same
 * way, and one line with a count says as much as all of them. Used by the service's error mapping (store
 * outages) and by {@code user-server}'s log of malformed streams.
 *
 * <pre>{@code
 * THROTTLE.tryAcquire().ifPresent(pass -> logger.warning("store down (" + pass.heldBack() + " more since)"));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class LogThrottle {

  private final LongSupplier nanoTime;
  private final Duration interval;
  private final Object lock = new Object();
  @GuardedBy("lock")
  private boolean logged;
  @GuardedBy("lock")
  private long lastNanos;
  @GuardedBy("lock")
  private long heldBack;

  /**
   * Creates a throttle on {@link System#nanoTime()}.
   *
   * @param interval the least time between two messages, positive
   */
  public LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  /**
   * Creates a throttle on a clock of one's own, for tests.
   *
   * @param interval the least time between two messages, positive
   * @param nanoTime the clock, as {@link System#nanoTime()}
   */
  public LogThrottle(Duration interval, LongSupplier nanoTime) {
    if (requireNonNull(interval, "interval").isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.interval = interval;
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  /** Returns the least time between two messages. */
  public Duration interval() {
    return interval;
  }

  /**
   * Returns, when the message may be logged now, what the line should say about the ones before it; else
   * empty, and counts this one as held back.
   */
  public Optional<Pass> tryAcquire() {
    long now = nanoTime.getAsLong();
    synchronized (lock) {
      if (logged && now - lastNanos < interval.toNanos()) {
        heldBack++;
        return Optional.empty();
      }
      Pass pass = new Pass(heldBack, !logged);
      logged = true;
      lastNanos = now;
      heldBack = 0;
      return Optional.of(pass);
    }
  }

  /**
   * A message let through.
   *
   * @param heldBack how many were held back since the last message let through (0 for the first)
   * @param first whether no message was let through before this one
   */
  public record Pass(long heldBack, boolean first) {}
}
