package io.github.usergrpc.user.service.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), now::get);

  @Test
  void firstMessage_passes_laterOnesWithinTheInterval_areCounted_andTheNextLineSaysHowMany() {
    assertThat(throttle.tryAcquire()).isEqualTo(OptionalLong.of(0));
    for (int i = 0; i < 499; i++) {
      now.addAndGet(Duration.ofMillis(20).toNanos());
      assertThat(throttle.tryAcquire()).isEmpty();
    }

    now.addAndGet(Duration.ofSeconds(1).toNanos());

    assertThat(throttle.tryAcquire()).isEqualTo(OptionalLong.of(499));
    assertThat(throttle.tryAcquire()).isEmpty();
  }
}
