package io.github.usergrpc.user.service.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), now::get);

  @Test
  void firstMessage_passes_laterOnesWithinTheInterval_areCounted_andTheNextLineSaysHowMany() {
    assertThat(throttle.tryAcquire()).contains(new LogThrottle.Pass(0, true));
    for (int i = 0; i < 499; i++) {
      now.addAndGet(Duration.ofMillis(20).toNanos());
      assertThat(throttle.tryAcquire()).isEmpty();
    }

    now.addAndGet(Duration.ofSeconds(1).toNanos());

    assertThat(throttle.tryAcquire()).contains(new LogThrottle.Pass(499, false));
    assertThat(throttle.tryAcquire()).isEmpty();
  }

  @Test
  void aMessageAfterAQuietInterval_passesWithNothingHeldBack_andIsNotTheFirst() {
    throttle.tryAcquire();
    now.addAndGet(Duration.ofSeconds(10).toNanos());

    assertThat(throttle.tryAcquire()).contains(new LogThrottle.Pass(0, false));
  }

  @Test
  void interval_mustBePositive() {
    assertThat(throttle.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> new LogThrottle(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("interval: PT0S (expected: > 0)");
  }
}
