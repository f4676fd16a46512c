package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A watch resuming from before what the store still keeps is refused with RESUME_POINT_EXPIRED: an H2 store,
 * and the JetStream activity log, whose stream's max age is the retention.
 */
class ActivityRetentionOverGrpcTest {

  /** The retention of the JetStream case: the stream discards events this much after they were stored. */
  private static final Duration STREAM_MAX_AGE = Duration.ofSeconds(5);

  @RegisterExtension
  final LocalNats nats = new LocalNats();

  @Test
  void watch_resumeAfterPrunedEvent_isOutOfRangeResumePointExpired() throws Exception {
    // The server stamps events with this clock: from 2023 on, moved by the test.
    AtomicLong now = new AtomicLong(1_700_000_000_000L);
    Clock clock = new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(now.get());
      }
    };
    try (JdbcUserStore store = JdbcUserStore.open(JdbcSettings.newBuilder()
            .setJdbcUrl("jdbc:h2:mem:retention-grpc-" + UUID.randomUUID())
            .setActivityRetention(Duration.ofSeconds(5)).build());
        InProcessServer server = new InProcessServer(store, builder -> builder.setClock(clock))) {
      UserServiceGrpc.UserServiceBlockingStub users = server.blocking();
      String id = createUser(users);
      long first = record(users, id, "");
      now.addAndGet(Duration.ofMinutes(1).toMillis());
      long kept = record(users, id, "kept");
      Await.until("the events before the kept one to be pruned", () -> onlyKeeps(store, id, kept));

      assertResumeExpired_andResumeBeforeKeptReplaysIt(server, id, first, kept);
    }
  }

  @Test
  void watch_resumeAfterAnEventTheStreamDiscarded_isOutOfRangeResumePointExpired() throws Exception {
    JdbcUserStore users = JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:h2:mem:retention-jetstream-" + UUID.randomUUID()).setActivityOutbox(true)
        .setActivityRetention(STREAM_MAX_AGE).build());
    try (JetStreamUserStore store = JetStreamUserStore.open(users, users.outbox(), RelayLease.singleProcess(),
            nats.freshSettings().withMaxAge(STREAM_MAX_AGE));
        InProcessServer server = new InProcessServer(store)) {
      UserServiceGrpc.UserServiceBlockingStub stub = server.blocking();
      String id = createUser(stub);
      long first = record(stub, id, "");
      Await.until("the stream to discard the user's events", () -> store.lastSequence(id) == 0);
      long kept = record(stub, id, "kept");

      // The replay of the kept event comes within its max age, which the test does not outlast: the two
      // calls take milliseconds.
      assertResumeExpired_andResumeBeforeKeptReplaysIt(server, id, first, kept);
    }
  }

  private static String createUser(UserServiceGrpc.UserServiceBlockingStub users) {
    return users.createUser(CreateUserRequest.newBuilder().setEmail("a@example.com").setName("A").build()).getId();
  }

  /** Records a page view of the user and returns its sequence. */
  private static long record(UserServiceGrpc.UserServiceBlockingStub users, String userId, String details) {
    return users.recordActivity(RecordActivityRequest.newBuilder().setUserId(userId).setAction("page_view")
        .setDetails(details).build()).getEvent().getSequence();
  }

  /**
   * Asserts that a watch resuming after the event before {@code first} (no longer kept) is refused with
   * RESUME_POINT_EXPIRED, and that one resuming right before {@code kept}, the oldest event kept, replays it.
   */
  private static void assertResumeExpired_andResumeBeforeKeptReplaysIt(InProcessServer server, String userId,
      long first, long kept) {
    Closed expired = TestCalls.call(server.channel(), UserServiceGrpc.getWatchUserActivityMethod(),
        WatchRequest.newBuilder().setUserId(userId).setResumeAfter(first - 1).build(), new Metadata(),
        Duration.ofSeconds(10));
    assertThat(expired.code()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(expired.reason()).isEqualTo("RESUME_POINT_EXPIRED");

    Iterator<ActivityEvent> replay = UserServiceGrpc.newBlockingStub(server.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .watchUserActivity(WatchRequest.newBuilder().setUserId(userId).setResumeAfter(kept - 1).build());
    assertThat(replay.next().getDetails()).isEqualTo("kept");
  }

  /** Tells whether the store keeps only the user's events from {@code oldest} on. */
  private static boolean onlyKeeps(UserStore store, String userId, long oldest) {
    try {
      store.userActivityAfter(userId, 0, 10);
      return false;
    } catch (ResumePointExpiredException e) {
      return e.oldestRetained() == oldest;
    }
  }
}
