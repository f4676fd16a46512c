package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.User;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retention on H2 and PostgreSQL: the background pruner deletes events older than the activity retention
 * and CreateUser request ids older than 24 hours, by the time of the calls; a watch resuming from before
 * the oldest kept event is refused; everything younger stays. Calls carry timestamps from 2023, so the
 * time that passes is the calls' time, not the test's.
 */
class ActivityRetentionTest {

  private static final long T0 = 1_700_000_000_000L;
  private static final Duration RETENTION = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void h2_prunesOldEventsAndRefusesResumingBeforeThem() throws InterruptedException {
    prunesOldEventsAndRefusesResumingBeforeThem(h2());
  }

  @Test
  void h2_forgetsCreateRequestIdsAfter24Hours() throws InterruptedException {
    forgetsCreateRequestIdsAfter24Hours(h2());
  }

  @Test
  void h2_neverPrunesByACallTimeAheadOfTheMachineClock() throws InterruptedException {
    Clock clock = Clock.fixed(Instant.ofEpochMilli(T0 + 10_000), ZoneOffset.UTC);
    try (JdbcUserStore store = JdbcUserStore.open(h2Settings(), clock)) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      store.recordActivity("u1", "page_view", "/soon", T0 + 9_000, Optional.empty());
      // A call stamped a day ahead of this machine's clock, as a replica with a wrong clock would.
      store.recordActivity("u1", "page_view", "/skewed", T0 + 86_400_000, Optional.empty());

      // "Now" is the machine's T0 + 10 s, not the skewed call's: only the event at T0 is past 2 s.
      awaitTrue(() -> retained(store, "u1").size() == 2, "the event at T0 is pruned");
      assertThat(retained(store, "u1")).extracting(ActivityRecord::details).containsExactly("/soon", "/skewed");
    }
  }

  @Test
  void sqlite_prunesOldEventsAndRefusesResumingBeforeThem(@TempDir Path directory) throws InterruptedException {
    prunesOldEventsAndRefusesResumingBeforeThem(JdbcUserStore.open(sqliteSettings(directory)));
  }

  @Test
  void sqlite_forgetsCreateRequestIdsAfter24Hours(@TempDir Path directory) throws InterruptedException {
    forgetsCreateRequestIdsAfter24Hours(JdbcUserStore.open(sqliteSettings(directory)));
  }

  @Test
  void settings_retentionBelowOneSecond_isRefused() {
    assertThatThrownBy(() -> JdbcSettings.newBuilder().setActivityRetention(Duration.ofMillis(999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("activityRetention: PT0.999S (expected: >= PT1S)");
    assertThat(JdbcSettings.newBuilder().build().activityRetention()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void period_isATenthOfTheRetentionWithinBounds() {
    assertThat(ActivityPruner.period(Duration.ofDays(7))).isEqualTo(Duration.ofMinutes(1));
    assertThat(ActivityPruner.period(Duration.ofSeconds(5))).isEqualTo(Duration.ofMillis(500));
    assertThat(ActivityPruner.period(Duration.ofSeconds(1))).isEqualTo(Duration.ofMillis(100));
  }

  @Nested
  class OnPostgres {

    @RegisterExtension
    final PostgresTestDatabase postgres = new PostgresTestDatabase();

    @Test
    void postgres_prunesOldEventsAndRefusesResumingBeforeThem() throws InterruptedException {
      prunesOldEventsAndRefusesResumingBeforeThem(
          JdbcUserStore.open(postgres.settings().toBuilder().setActivityRetention(RETENTION).build()));
    }

    @Test
    void postgres_forgetsCreateRequestIdsAfter24Hours() throws InterruptedException {
      forgetsCreateRequestIdsAfter24Hours(
          JdbcUserStore.open(postgres.settings().toBuilder().setActivityRetention(RETENTION).build()));
    }
  }

  private static void prunesOldEventsAndRefusesResumingBeforeThem(JdbcUserStore opened)
      throws InterruptedException {
    try (JdbcUserStore store = opened) {
      store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.empty());
      store.create(new NewUser("u2", "b@example.com", "B", "viewer", T0), Optional.empty());
      // More than one batch of old events, all of them past the retention once the last call comes.
      int old = ActivityPruner.BATCH_SIZE + 500;
      for (int i = 0; i < old; i++) {
        store.recordActivity(i % 2 == 0 ? "u1" : "u2", "page_view", "/" + i, T0 + i, Optional.empty());
      }
      long lastOld = store.lastSequence("u2");
      ActivityRecord kept = store.recordActivity("u1", "page_view", "/kept", T0 + old + 1_000,
          Optional.of(UUID.randomUUID().toString()));
      ActivityRecord newest = store.recordActivity("u1", "page_view", "/newest", T0 + 60_000, Optional.empty());

      awaitTrue(() -> retained(store, "u1").size() == 1 && retained(store, "u2").isEmpty(),
          "everything before the last 2 s is pruned");
      assertThat(retained(store, "u1")).containsExactly(newest);
      assertThatThrownBy(() -> store.userActivityAfter("u1", 0, 10))
          .isInstanceOfSatisfying(ResumePointExpiredException.class,
              e -> assertThat(e.oldestRetained()).isEqualTo(newest.sequence()));
      assertThatThrownBy(() -> store.userActivityAfter("u2", lastOld - 1, 10))
          .isInstanceOf(ResumePointExpiredException.class);
      // Resuming from the last pruned event, or later, misses nothing.
      assertThat(store.userActivityAfter("u1", kept.sequence(), 10)).containsExactly(newest);
      assertThat(store.userActivityAfter("u1", newest.sequence(), 10)).isEmpty();
      // Users are never pruned; writes go on.
      assertThat(store.find("u2")).isPresent();
      assertThat(store.recordActivity("u2", "page_view", "/after", T0 + 60_001, Optional.empty()).sequence())
          .isEqualTo(lastOld + 1);
    }
  }

  /** Returns the user's events the store still keeps. */
  private static List<ActivityRecord> retained(JdbcUserStore store, String userId) {
    try {
      return store.userActivityAfter(userId, 0, 10_000);
    } catch (ResumePointExpiredException e) {
      return store.userActivityAfter(userId, e.oldestRetained() - 1, 10_000);
    }
  }

  private static void forgetsCreateRequestIdsAfter24Hours(JdbcUserStore opened) throws InterruptedException {
    try (JdbcUserStore store = opened) {
      User first = store.create(new NewUser("u1", "a@example.com", "A", "viewer", T0), Optional.of("req-old"));
      store.delete("u1", Optional.empty(), T0 + 1);
      long recent = T0 + Duration.ofHours(24).toMillis() - 1_000;
      User second = store.create(new NewUser("u2", "b@example.com", "B", "viewer", recent), Optional.of("req-recent"));
      // Replays while the request id is remembered: the first user, although deleted since.
      assertThat(store.create(new NewUser("u3", "a@example.com", "A", "viewer", T0 + 2), Optional.of("req-old")))
          .isEqualTo(first);

      // A call 24 h and 1 s after the first create: its request id is now past what user.proto promises.
      store.create(new NewUser("u4", "d@example.com", "D", "viewer", T0 + Duration.ofHours(24).toMillis() + 1_000),
          Optional.empty());
      awaitTrue(() -> !store.create(new NewUser("u3", "a@example.com", "A", "viewer", T0 + 3),
          Optional.of("req-old")).id().equals("u1"), "the old request id is forgotten");
      // The request id of 23 h 59 m 59 s ago is still remembered.
      assertThat(store.create(new NewUser("u5", "b@example.com", "B", "viewer", T0 + 4), Optional.of("req-recent")))
          .isEqualTo(second);
    }
  }

  private static JdbcUserStore h2() {
    return JdbcUserStore.open(h2Settings());
  }

  private static JdbcSettings h2Settings() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:retention-" + UUID.randomUUID())
        .setActivityRetention(RETENTION).build();
  }

  private static JdbcSettings sqliteSettings(Path directory) {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:sqlite:" + directory.resolve("retention.db"))
        .setActivityRetention(RETENTION).build();
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      Thread.sleep(20);
    }
  }
}
