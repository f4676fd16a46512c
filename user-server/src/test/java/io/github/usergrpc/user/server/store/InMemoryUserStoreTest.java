package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryUserStoreTest extends UserStoreContractTest {

  @Override
  protected UserStore newStore() {
    return new InMemoryUserStore();
  }

  @Test
  void userActivityAfter_beforeRetainedEvents_throwsResumePointExpired() {
    try (InMemoryUserStore small = new InMemoryUserStore(3)) {
      small.create(new NewUser("u1", "a@example.com", "0", "viewer", 1), Optional.empty());
      for (int i = 1; i <= 4; i++) {
        small.update("u1", new UserChanges(Optional.empty(), Optional.of(Integer.toString(i)), Optional.empty()),
            Optional.empty(), 1 + i);
      }

      assertThatThrownBy(() -> small.userActivityAfter("u1", 1, 10))
          .isInstanceOf(ResumePointExpiredException.class)
          .satisfies(e -> assertThat(((ResumePointExpiredException) e).oldestRetained()).isEqualTo(3));
      assertThat(small.userActivityAfter("u1", 2, 10)).extracting(ActivityRecord::sequence)
          .containsExactly(3L, 4L, 5L);
      assertThat(small.activityAfter(0, 10)).extracting(ActivityRecord::sequence).containsExactly(3L, 4L, 5L);
    }
  }

  @Test
  void constructor_noRetainedEvents_throwsIllegalArgument() {
    assertThatThrownBy(() -> new InMemoryUserStore(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retainedEvents: 0");
  }
}
