package io.github.usergrpc.user.service.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Lets a message that every call may log through at most once per interval, and counts the ones held back:
 * while a dependency is down, each of hundreds of calls a second fails the same way, and one line with a
 * count says as much as all of them.
 */
final class LogThrottle {

  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private final Object lock = new Object();
  @GuardedBy("lock")
  private boolean logged;
  @GuardedBy("lock")
  private long lastNanos;
  @GuardedBy("lock")
  private long heldBack;

  LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  LogThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Returns, when the message may be logged now, how many were held back since the last one; else empty
   * (and counts this one as held back).
   */
  OptionalLong tryAcquire() {
    long now = nanoTime.getAsLong();
    synchronized (lock) {
      if (logged && now - lastNanos < intervalNanos) {
        heldBack++;
        return OptionalLong.empty();
      }
      long since = heldBack;
      logged = true;
      lastNanos = now;
      heldBack = 0;
      return OptionalLong.of(since);
    }
  }
}
