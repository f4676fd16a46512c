package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivityLog;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.NatsTestCluster;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserStore;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@link UserStoreContractTest} for {@link JetStreamUserStore}: users in H2 (a fresh in-memory database
 * per test) with the outbox, activity on the machine's NATS server (a fresh stream per test, deleted after
 * it). Plus what only it does: events of changes that could not be published at once reach the stream once,
 * later, and before the user's next RecordActivity.
 */
class JetStreamUserStoreTest extends UserStoreContractTest {

  private static final long T0 = 1_700_000_000_000L;

  @RegisterExtension
  final LocalNats nats = new LocalNats();

  @Override
  protected UserStore newStore() {
    return open(freshDatabase(), nats.freshSettings());
  }

  private static JdbcSettings freshDatabase() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:jetstream-" + UUID.randomUUID())
        .setActivityOutbox(true).build();
  }

  private static JetStreamUserStore open(JdbcSettings database, JetStreamActivitySettings stream) {
    return open(database, stream, RelayLease.singleProcess());
  }

  private static JetStreamUserStore open(JdbcSettings database, JetStreamActivitySettings stream, RelayLease lease) {
    JdbcUserStore users = JdbcUserStore.open(database);
    return JetStreamUserStore.open(users, users.outbox(), lease, stream);
  }

  /**
   * A lease another server holds: this store's background relay never runs, so a row left in the outbox stays
   * there until a call of this store publishes it, however long the machine takes (the relay would take it
   * after its grace period).
   */
  private static RelayLease heldElsewhere() {
    return new RelayLease() {
      @Override
      public boolean tryAcquire() {
        return false;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void recordActivity_afterAChangeLeftInTheOutbox_publishesTheChangeFirst() {
    JdbcSettings database = freshDatabase();
    try (JetStreamUserStore jetStream = open(database, nats.freshSettings(), heldElsewhere());
        JdbcUserStore other = JdbcUserStore.open(database)) {
      createAndLeaveAChangeInTheOutbox(jetStream, other);
      assertThat(other.outbox().pending("u1")).hasSize(1);

      jetStream.recordActivity("u1", "page_view", "/", T0 + 2, Optional.empty());

      assertThat(jetStream.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::action)
          .containsExactly(ActivityRecord.USER_CREATED, ActivityRecord.USER_UPDATED, "page_view");
      assertThat(other.outbox().pending("u1")).isEmpty();
    }
  }

  @Test
  void update_afterAChangeLeftInTheOutbox_publishesBothAtOnce_inOrder() {
    JdbcSettings database = freshDatabase();
    try (JetStreamUserStore jetStream = open(database, nats.freshSettings(), heldElsewhere());
        JdbcUserStore other = JdbcUserStore.open(database)) {
      createAndLeaveAChangeInTheOutbox(jetStream, other);

      jetStream.update("u1", new UserChanges(Optional.empty(), Optional.of("C"), Optional.empty()),
          Optional.empty(), T0 + 2);

      // At once, by the update itself: this store's relay does not run.
      assertThat(jetStream.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::occurredAtMillis)
          .containsExactly(T0, T0 + 1, T0 + 2);
      assertThat(other.outbox().pending("u1")).isEmpty();
    }
  }

  /**
   * Creates user u1 at {@code T0} through {@code jetStream}; then {@code other}, on the same database, renames it
   * at {@code T0 + 1} as another server that committed the change and died before it published the event would:
   * the change's row waits in the outbox.
   */
  private static void createAndLeaveAChangeInTheOutbox(JetStreamUserStore jetStream, JdbcUserStore other) {
    jetStream.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
    other.update("u1", new UserChanges(Optional.empty(), Optional.of("B"), Optional.empty()), Optional.empty(),
        T0 + 1);
  }

  @Test
  void changeLeftInTheOutbox_isRelayedOnce() {
    JdbcSettings database = freshDatabase();
    try (JetStreamUserStore jetStream = open(database, nats.freshSettings());
        JdbcUserStore other = JdbcUserStore.open(database)) {
      createAndLeaveAChangeInTheOutbox(jetStream, other);
      other.delete("u1", Optional.empty(), T0 + 2);

      Await.until("the relay to publish the rows another server left", () -> other.outbox().pending(1).isEmpty());
      assertThat(jetStream.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::action)
          .containsExactly(ActivityRecord.USER_CREATED, ActivityRecord.USER_UPDATED, ActivityRecord.USER_DELETED);
    }
  }

  @Test
  void natsDown_changesSucceedAndTheirEventsFollowOnceNatsIsBack_activityCallsFailFast() throws Exception {
    try (NatsTestCluster own = NatsTestCluster.startSingle();
        JetStreamUserStore store = open(freshDatabase(), JetStreamActivitySettings.of(own.url()))) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      own.node(0).kill();
      Await.until("the store to notice NATS is gone", () -> {
        try {
          store.ping();
          return false;
        } catch (StoreUnavailableException e) {
          return true;
        }
      });

      // The change is the database's: it succeeds, and its event waits in the outbox.
      store.update("u1", new UserChanges(Optional.empty(), Optional.of("B"), Optional.empty()), Optional.empty(),
          T0 + 1);
      long started = System.nanoTime();
      assertThatThrownBy(() -> store.recordActivity("u1", "page_view", "/", T0 + 2, Optional.empty()))
          .isInstanceOf(StoreUnavailableException.class);
      assertThatThrownBy(() -> store.lastSequence("u1")).isInstanceOf(StoreUnavailableException.class);
      assertThatThrownBy(() -> store.userActivityAfter("u1", 0, 10)).isInstanceOf(StoreUnavailableException.class);
      assertThat(System.nanoTime() - started).as("nanoseconds for three failed calls")
          .isLessThan(JetStreamActivitySettings.of(own.url()).requestTimeout().toNanos());

      own.node(0).start();
      Await.until("the update's event to reach the stream", () -> {
        try {
          return store.userActivityAfter("u1", 0, 10).size() == 2;
        } catch (StoreUnavailableException e) {
          return false;
        }
      });
      store.ping();
      List<ActivityRecord> events = store.userActivityAfter("u1", 0, 10);
      assertThat(events).extracting(ActivityRecord::action)
          .containsExactly(ActivityRecord.USER_CREATED, ActivityRecord.USER_UPDATED);
      try (JetStreamActivityLog reader = JetStreamActivityLog.open(JetStreamActivitySettings.of(own.url()))) {
        assertThat(reader.lastSequence()).as("events in the stream").isEqualTo(2);
      }
    }
  }
}
