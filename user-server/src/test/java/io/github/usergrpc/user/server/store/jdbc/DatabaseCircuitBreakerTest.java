package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DatabaseCircuitBreakerTest {

  private final AtomicBoolean databaseUp = new AtomicBoolean();
  private final AtomicInteger probes = new AtomicInteger();

  @Test
  void opensAfterThreeFailuresInARow_failsCallsAtOnce_closesWhenTheProbeAnswers() throws Exception {
    try (DatabaseCircuitBreaker breaker = new DatabaseCircuitBreaker(this::probe)) {
      breaker.recordConnectionFailure();
      breaker.recordConnectionFailure();
      breaker.recordSuccess();
      breaker.recordConnectionFailure();
      breaker.recordConnectionFailure();
      assertThat(breaker.isOpen()).as("a success in between starts the count again").isFalse();
      breaker.checkClosed();

      breaker.recordConnectionFailure();
      assertThat(breaker.isOpen()).isTrue();
      assertThatThrownBy(breaker::checkClosed).isInstanceOf(StoreUnavailableException.class)
          .hasMessage("the user store is unavailable");

      // The probe keeps failing while the database is down, then closes the breaker.
      awaitTrue(() -> probes.get() >= 2);
      assertThat(breaker.isOpen()).isTrue();
      databaseUp.set(true);
      awaitTrue(() -> !breaker.isOpen());
      breaker.checkClosed();
    }
  }

  @Test
  void close_stopsProbing() throws Exception {
    DatabaseCircuitBreaker breaker = new DatabaseCircuitBreaker(this::probe);
    for (int i = 0; i < DatabaseCircuitBreaker.FAILURES_TO_OPEN; i++) {
      breaker.recordConnectionFailure();
    }
    breaker.close();
    int probed = probes.get();
    Thread.sleep(DatabaseCircuitBreaker.PROBE_INTERVAL.toMillis() * 3);
    assertThat(probes.get()).isLessThanOrEqualTo(probed + 1);
  }

  private void probe() throws SQLException {
    probes.incrementAndGet();
    if (!databaseUp.get()) {
      throw new SQLException("connection refused", "08001");
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
