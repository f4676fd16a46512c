package io.github.usergrpc.user.client;

import java.time.Duration;

/**
 * Hedging for the reads {@code getUser} and {@code listUsers} (gRPC's service config {@code hedgingPolicy}):
 * when an answer is slow, send the same call again after {@code delay}, up to {@code maxAttempts} in flight,
 * and take the first answer. Trades extra load for tail latency; off unless set on the builder. A method
 * with hedging is not retried.
 *
 * @param maxAttempts the most copies of one call, 2 to 5
 * @param delay how long to wait before each further copy
 */
public record HedgingSettings(int maxAttempts, Duration delay) {

  public HedgingSettings {
    if (maxAttempts < 2 || maxAttempts > 5) {
      throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: 2..5)");
    }
    RetrySettings.positive(delay, "delay");
  }
}
