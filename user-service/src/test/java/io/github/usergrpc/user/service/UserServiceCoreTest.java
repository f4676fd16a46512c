package io.github.usergrpc.user.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.internal.ActivityFeed;
import org.junit.jupiter.api.Test;

class UserServiceCoreTest {

  @Test
  void setMaxPendingEventsPerWatch_belowTheMinimum_isRefused() {
    UserServiceCore.Builder builder = UserServiceCore.newBuilder();

    assertThatThrownBy(() -> builder.setMaxPendingEventsPerWatch(ActivityFeed.MIN_PENDING_PER_WATCH - 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxPending: 1 (expected: >= 2)");
    assertThat(builder.setMaxPendingEventsPerWatch(ActivityFeed.MIN_PENDING_PER_WATCH)).isSameAs(builder);
  }
}
