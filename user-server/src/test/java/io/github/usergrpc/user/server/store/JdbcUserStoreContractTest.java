package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.activity.jetstream.OutboxEntry;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.EmailAlreadyExistsException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link UserStoreContractTest} for {@link JdbcUserStore}, plus what only a database store does: share
 * its data and secret with every store open on the same database, keep them when reopened, keep every event,
 * and report a closed store as unavailable.
 */
abstract class JdbcUserStoreContractTest extends UserStoreContractTest {

  private static final long T0 = 1_700_000_000_000L;
  /** How long the writers of the delete-while-writing test write at most: far longer than any delete waits. */
  private static final Duration WRITERS_CAP = Duration.ofSeconds(60);
  /** How many events the writers of the delete-while-writing test record before the delete starts. */
  private static final int WRITES_BEFORE_DELETE = 500;

  /** Returns the settings of a fresh, empty database; called once per test, before {@link #newStore()}. */
  abstract JdbcSettings freshDatabase();

  private JdbcSettings settings;

  @Override
  protected final UserStore newStore() {
    settings = freshDatabase();
    return JdbcUserStore.open(settings);
  }

  /** Returns the settings of this test's database. */
  JdbcSettings settings() {
    return settings;
  }

  /**
   * Returns the settings of another fresh, empty database, one that outlives the stores open on it (a file,
   * a database server); {@link #freshDatabase()} unless that one is gone with its last store.
   */
  JdbcSettings freshDurableDatabase() {
    return freshDatabase();
  }

  @Test
  void open_databaseClosedAndReopened_keepsUsersEventsAndSecret() {
    JdbcSettings durable = freshDurableDatabase();
    User created;
    byte[] secretKey;
    try (JdbcUserStore first = JdbcUserStore.open(durable)) {
      created = first.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.of("req-1"));
      secretKey = first.secretKey();
    }

    try (JdbcUserStore reopened = JdbcUserStore.open(durable)) {
      assertThat(reopened.find("u1")).contains(created);
      assertThat(reopened.secretKey()).isEqualTo(secretKey);
      assertThat(reopened.lastSequence("u1")).isEqualTo(1);
      assertThat(reopened.create(new NewUser("u2", "a@example.com", "A", "viewer", 2), Optional.of("req-1")))
          .isEqualTo(created);
    }
  }

  @Test
  void open_secondStoreOnSameDatabase_sharesUsersEventsAndSecret() {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());

    try (JdbcUserStore other = JdbcUserStore.open(settings)) {
      assertThat(other.find("u1")).isEqualTo(store.find("u1"));
      assertThat(other.secretKey()).isEqualTo(store.secretKey());
      other.recordActivity("u1", "page_view", "/", T0 + 1, Optional.empty());
      assertThatThrownBy(() -> other.create(new NewUser("u2", "A@example.com", "B", "viewer", T0), Optional.empty()))
          .isInstanceOf(EmailAlreadyExistsException.class);
    }
    assertThat(store.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::action)
        .containsExactly(ActivityRecord.USER_CREATED, "page_view");
    assertThat(store.lastSequence("u1")).isEqualTo(2);
  }

  @Test
  void userActivityAfter_fromTheFirstEvent_neverExpires() {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
    for (int i = 0; i < 50; i++) {
      store.recordActivity("u1", "page_view", "/" + i, T0 + i, Optional.empty());
    }

    assertThat(store.userActivityAfter("u1", 0, 100)).hasSize(51);
    assertThat(store.userActivityAfter("u1", -1, 100)).hasSize(51);
  }

  @Test
  void create_storeWithOutbox_writesTheEventToTheOutboxOnly() {
    try (JdbcUserStore withOutbox = JdbcUserStore.open(settings.toBuilder().setActivityOutbox(true).build())) {
      List<ActivityRecord> committed = Collections.synchronizedList(new ArrayList<>());
      withOutbox.addCommitListener(committed::add);
      withOutbox.create(new NewUser("u1", "a@example.com", "A", "admin", T0), Optional.of("req-1"));

      assertThat(withOutbox.outbox().pending(10)).extracting(OutboxEntry::userId, OutboxEntry::action,
              OutboxEntry::details, OutboxEntry::occurredAtMillis)
          .containsExactly(tuple("u1", ActivityRecord.USER_CREATED, ActivityRecord.ALL_FIELDS, T0));
      assertThat(withOutbox.userActivityAfter("u1", 0, 10)).isEmpty();
      assertThat(committed).isEmpty();
      assertThat(withOutbox.count(Optional.of("admin"))).isEqualTo(1);
      assertThat(withOutbox.create(new NewUser("u2", "a@example.com", "A", "admin", T0), Optional.of("req-1")))
          .isEqualTo(withOutbox.find("u1").orElseThrow());
    }
  }

  @Test
  void recordActivity_sameRequestIdAfterUserDeleted_returnsFirstEvent() {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
    ActivityRecord first = store.recordActivity("u1", "page_view", "/", T0 + 1, Optional.of("req-1"));
    store.delete("u1", Optional.empty(), T0 + 2);

    assertThat(store.recordActivity("u1", "page_view", "/", T0 + 3, Optional.of("req-1"))).isEqualTo(first);
    assertThatThrownBy(() -> store.recordActivity("u1", "page_view", "/", T0 + 3, Optional.of("req-2")))
        .isInstanceOf(UserNotFoundException.class);
  }

  /**
   * How many calls each writer of {@link #recordActivity_racingDeleteOnTwoStores_logIsDenseAndEndsWithUserDeleted}
   * makes once the delete has started, at most: unbounded (they stop at {@code USER_NOT_FOUND}) where the
   * delete gets its turn among writers of two stores that never pause.
   */
  int racingWritesAfterDelete() {
    return Integer.MAX_VALUE;
  }

  /**
   * Writers on two stores (two servers) record a user's activity while one of them deletes the user, at a
   * different moment each round: every acknowledged event is in the log, the log's numbers are 1 to n without
   * a gap, and {@code user.deleted} is its last event, once.
   */
  @Test
  @Timeout(120)
  void recordActivity_racingDeleteOnTwoStores_logIsDenseAndEndsWithUserDeleted() throws Exception {
    try (JdbcUserStore other = JdbcUserStore.open(settings)) {
      for (int round = 0; round < 20; round++) {
        String id = "d" + round;
        store.create(new NewUser(id, id + "@example.com", "D", "viewer", T0), Optional.empty());
        long deleteAfter = 1 + round % 10;
        AtomicBoolean deleting = new AtomicBoolean();
        List<ActivityRecord> acknowledged = Collections.synchronizedList(new ArrayList<>());
        concurrently(5, i -> {
          if (i == 0) {
            while (store.lastSequence(id) < deleteAfter) {
              Thread.onSpinWait();
            }
            deleting.set(true);
            store.delete(id, Optional.empty(), T0 + 2);
            return null;
          }
          UserStore writer = i % 2 == 0 ? store : other;
          int afterDelete = 0;
          try {
            while (!deleting.get() || afterDelete++ < racingWritesAfterDelete()) {
              acknowledged.add(writer.recordActivity(id, "tick", Integer.toString(i), T0 + 1, Optional.empty()));
            }
          } catch (UserNotFoundException e) {
            assertThat(deleting).as("the user is gone only once deleted").isTrue();
          }
          return null;
        });

        List<ActivityRecord> events = store.userActivityAfter(id, 0, 100_000);
        assertThat(events).extracting(ActivityRecord::sequence).as("the sequences of " + id)
            .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events.get(events.size() - 1).action()).as("the last event of " + id)
            .isEqualTo(ActivityRecord.USER_DELETED);
        assertThat(events).filteredOn(event -> event.action().equals("tick"))
            .containsExactlyInAnyOrderElementsOf(acknowledged);
        assertThat(events).extracting(ActivityRecord::action).containsOnlyOnce(ActivityRecord.USER_DELETED);
      }
    }
  }

  /**
   * A DeleteUser of a user whose activity eight writers record without pause returns while they still write,
   * and they then find the user gone: a client cannot hold up a delete by writing (issue 16: on PostgreSQL,
   * RecordActivity's {@code FOR KEY SHARE} on the user's row let writers keep a waiting delete out for as
   * long as they ran). The writers stop only at {@code USER_NOT_FOUND}, or at {@link #WRITERS_CAP}, which
   * fails the test.
   */
  @Test
  @Timeout(180)
  void delete_whileWritersNeverPause_returnsWhileTheyWrite() throws Exception {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
    int writers = 8;
    // Once they run at full speed: the first calls of a fresh JVM are slow, and slow writers leave the
    // user's row free now and then.
    CountDownLatch writing = new CountDownLatch(WRITES_BEFORE_DELETE);
    AtomicBoolean capped = new AtomicBoolean();
    List<ActivityRecord> acknowledged = Collections.synchronizedList(new ArrayList<>());
    ExecutorService executor = Executors.newFixedThreadPool(writers);
    try {
      long start = System.nanoTime();
      List<Future<?>> stopped = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String details = Integer.toString(i);
        stopped.add(executor.submit(() -> {
          try {
            while (true) {
              acknowledged.add(store.recordActivity("u1", "tick", details, T0 + 1, Optional.empty()));
              writing.countDown();
              if (System.nanoTime() - start > WRITERS_CAP.toNanos()) {
                capped.set(true);
                return null;
              }
            }
          } catch (UserNotFoundException e) {
            return null;
          }
        }));
      }
      writing.await();

      store.delete("u1", Optional.empty(), T0 + 2);

      assertThat(capped).as("writers reached the cap before the delete returned").isFalse();
      for (Future<?> writer : stopped) {
        writer.get(WRITERS_CAP.toSeconds() * 2, TimeUnit.SECONDS);
      }
      assertThat(capped).as("writers stopped at the cap, not at USER_NOT_FOUND").isFalse();
    } finally {
      executor.shutdownNow();
    }
    List<ActivityRecord> events = store.userActivityAfter("u1", 0, 1_000_000);
    assertThat(events.get(events.size() - 1).action()).as("the last event").isEqualTo(ActivityRecord.USER_DELETED);
    assertThat(events).extracting(ActivityRecord::action).containsOnlyOnce(ActivityRecord.USER_DELETED);
    assertThat(events).filteredOn(event -> event.action().equals("tick"))
        .containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  @Test
  void close_thenAnyCall_throwsStoreUnavailable() {
    JdbcUserStore other = JdbcUserStore.open(settings);
    other.close();
    other.close();

    assertThatThrownBy(() -> other.find("u1")).isInstanceOf(StoreUnavailableException.class)
        .hasMessage("the user store is unavailable");
    assertThatThrownBy(other::ping).isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> other.create(new NewUser("u1", "a@example.com", "A", "viewer", T0),
        Optional.empty())).isInstanceOf(StoreUnavailableException.class);
    // The database itself is still there for the other store.
    store.ping();
  }
}
