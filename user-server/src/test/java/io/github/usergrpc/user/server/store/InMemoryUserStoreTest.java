package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserStore;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryUserStoreTest extends UserStoreContractTest {

  private static final long T0 = 1_700_000_000_000L;

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
    }
  }

  @Test
  void create_requestIdOfADayAgo_isForgottenByTheNextCreate() {
    long day = InMemoryUserStore.REQUEST_ID_RETENTION.toMillis();
    try (InMemoryUserStore store = new InMemoryUserStore()) {
      User first = store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.of("req-1"));
      store.create(new NewUser("u2", "b@example.com", "B", "viewer", T0 + 1), Optional.of("req-2"));
      assertThat(store.create(new NewUser("u9", "a@example.com", "A", "viewer", T0 + day - 1),
          Optional.of("req-1"))).isEqualTo(first);

      store.create(new NewUser("u3", "c@example.com", "C", "viewer", T0 + day + 1), Optional.of("req-3"));

      // req-1 is over a day old now and forgotten: the same id is a new create, not a replay. req-2 is not yet.
      assertThat(store.create(new NewUser("u4", "d@example.com", "D", "viewer", T0 + day + 1),
          Optional.of("req-1")).id()).isEqualTo("u4");
      assertThat(store.create(new NewUser("u5", "b@example.com", "B", "viewer", T0 + day + 1),
          Optional.of("req-2")).id()).isEqualTo("u2");
    }
  }

  @Test
  void recordActivity_requestIdOfADayAgo_isForgottenByTheNextCall() {
    long day = InMemoryUserStore.REQUEST_ID_RETENTION.toMillis();
    try (InMemoryUserStore store = new InMemoryUserStore()) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      ActivityRecord first = store.recordActivity("u1", "page_view", "/a", T0, Optional.of("req-1"));
      assertThat(store.recordActivity("u1", "page_view", "/a", T0 + day - 1, Optional.of("req-1"))).isEqualTo(first);

      store.recordActivity("u1", "page_view", "/b", T0 + day + 1, Optional.of("req-2"));

      assertThat(store.recordActivity("u1", "page_view", "/a", T0 + day + 1, Optional.of("req-1")).sequence())
          .isGreaterThan(first.sequence());
    }
  }

  @Test
  void constructor_noRetainedEvents_throwsIllegalArgument() {
    assertThatThrownBy(() -> new InMemoryUserStore(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retainedEvents: 0");
  }
}
