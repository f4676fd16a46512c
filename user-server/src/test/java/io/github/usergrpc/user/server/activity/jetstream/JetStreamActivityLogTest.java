package io.github.usergrpc.user.server.activity.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.RequestIdReusedException;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JetStreamActivityLog} against a JetStream node of its own ({@link NatsTestCluster}). */
class JetStreamActivityLogTest {

  @RegisterExtension static final SingleNatsNode nats = new SingleNatsNode();

  private static final Duration WAIT = Duration.ofSeconds(10);



  @Test
  void appendReturnsTheStreamSequenceAndAMessageIdIsStoredOnce() {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      JetStreamActivityLog.Appended first = log.append("u1", "page_view", "/a", 1_000, Optional.of("m1"));
      JetStreamActivityLog.Appended other = log.append("u1", "page_view", "/b", 2_000, Optional.empty());
      JetStreamActivityLog.Appended again = log.append("u1", "page_view", "/changed", 3_000, Optional.of("m1"));

      assertThat(first.event()).isEqualTo(new ActivityRecord(1, "u1", "page_view", "/a", 1_000));
      assertThat(first.duplicate()).isFalse();
      assertThat(other.event().sequence()).isEqualTo(2);
      // The repeat stored nothing and returns what the first call stored, read back from the stream.
      assertThat(again.duplicate()).isTrue();
      assertThat(again.event()).isEqualTo(first.event());
      assertThat(log.lastSequence()).isEqualTo(2);
    }
  }

  @Test
  void recordActivityReturnsTheFirstEventForARetryAndRejectsAReusedRequestId() {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      String requestId = UUID.randomUUID().toString();
      JetStreamActivityLog.Appended first = log.recordActivity("u1", "page_view", "/a", 1_000, Optional.of(requestId));
      JetStreamActivityLog.Appended retry = log.recordActivity("u1", "page_view", "/a", 5_000, Optional.of(requestId));

      assertThat(first.duplicate()).isFalse();
      assertThat(retry.duplicate()).isTrue();
      assertThat(retry.event()).isEqualTo(first.event());
      assertThatThrownBy(() -> log.recordActivity("u1", "page_view", "/other", 6_000, Optional.of(requestId)))
          .isInstanceOf(RequestIdReusedException.class);
      assertThatThrownBy(() -> log.recordActivity("u2", "page_view", "/a", 6_000, Optional.of(requestId)))
          .isInstanceOf(RequestIdReusedException.class);
      assertThat(log.lastSequence()).isEqualTo(1);
    }
  }

  @Test
  void aRetryWhoseFirstEventThePerUserLimitDiscarded_isStillARepeat() {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings().withMaxMessagesPerSubject(1))) {
      String requestId = UUID.randomUUID().toString();
      ActivityRecord first = log.recordActivity("u1", "page_view", "/a", 1_000, Optional.of(requestId)).event();
      log.append("u1", "page_view", "/b", 2_000, Optional.empty()); // the limit of 1 discards the first event

      JetStreamActivityLog.Appended retry = log.recordActivity("u1", "page_view", "/a", 5_000, Optional.of(requestId));

      // Stored once, under the first sequence; the stream no longer has the first values, so the retry's stand.
      assertThat(retry.duplicate()).isTrue();
      assertThat(retry.event()).isEqualTo(new ActivityRecord(first.sequence(), "u1", "page_view", "/a", 5_000));
      assertThat(log.lastSequence()).isEqualTo(2);
    }
  }

  @Test
  void recordActivityWithAnExpectedLastSequence_storesOnlyWhileTheUsersNewestEventIsThatOne() {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      assertThat(log.recordActivity("u1", "a", "1", 1, Optional.of("r1"), OptionalLong.of(0))).isPresent();
      long last = log.lastSequence("u1");
      log.append("u2", "b", "other user", 1, Optional.empty()); // other users' events do not matter

      assertThat(log.recordActivity("u1", "a", "2", 2, Optional.of("r2"), OptionalLong.of(last - 1))).isEmpty();
      JetStreamActivityLog.Appended second =
          log.recordActivity("u1", "a", "2", 2, Optional.of("r2"), OptionalLong.of(last)).orElseThrow();
      // A retry of a stored request with the expectation it had then: stored once, whatever the server says.
      Optional<JetStreamActivityLog.Appended> retry =
          log.recordActivity("u1", "a", "2", 3, Optional.of("r2"), OptionalLong.of(last));
      retry.ifPresent(appended -> assertThat(appended.event()).isEqualTo(second.event()));
      assertThat(log.recordActivity("u1", "a", "2", 3, Optional.of("r2"), OptionalLong.of(second.event().sequence())))
          .hasValueSatisfying(appended -> assertThat(appended.event()).isEqualTo(second.event()));
      assertThat(log.lastSequence("u1")).isEqualTo(second.event().sequence());
      System.out.println("JetStreamActivityLogTest: a duplicate with a stale expected sequence "
          + (retry.isPresent() ? "is reported as a duplicate" : "fails the expectation"));
    }
  }

  @Test
  void userIdsWithSubjectSyntaxGetSubjectsOfTheirOwn() throws Exception {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      List<String> ids = List.of("a.b", "a", "*", ">", "a b", "ü/ß", "x".repeat(64), "\u00e9".repeat(64));
      for (String id : ids) {
        log.append(id, "page_view", id, 1, Optional.empty());
      }
      for (String id : ids) {
        try (ActivityReader reader = log.read(id, 0)) {
          List<ActivityRecord> events = drain(reader);
          assertThat(events).extracting(ActivityRecord::userId).containsExactly(id);
        }
      }
    }
  }

  @Test
  void readReplaysAUsersEventsAfterASequenceThenContinuesLive() throws Exception {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      long a1 = log.append("alice", "a", "1", 1, Optional.empty()).event().sequence();
      log.append("bob", "b", "1", 1, Optional.empty());
      long a2 = log.append("alice", "a", "2", 1, Optional.empty()).event().sequence();
      log.append("bob", "b", "2", 1, Optional.empty());
      long a3 = log.append("alice", "a", "3", 1, Optional.empty()).event().sequence();

      try (ActivityReader reader = log.read("alice", a1)) {
        assertThat(reader.next(WAIT).orElseThrow().sequence()).isEqualTo(a2);
        assertThat(reader.next(WAIT).orElseThrow().sequence()).isEqualTo(a3);
        assertThat(reader.next(Duration.ofMillis(200))).isEmpty();

        log.append("bob", "b", "3", 1, Optional.empty());
        ActivityRecord live = log.append("alice", "a", "4", 1, Optional.empty()).event();
        assertThat(reader.next(WAIT)).contains(live);
      }
      // Gaps between one user's sequences (bob's events) are normal: resuming after a1 is not "expired".
      assertThat(log.lastSequence("alice")).isEqualTo(a3 + 2);
      assertThat(log.lastSequence("nobody")).isZero();
    }
  }

  @Test
  void aStartBeyondTheEndDeliversOnlyEventsAfterIt() throws Exception {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings())) {
      log.append("alice", "a", "0", 1, Optional.empty());
      long after = log.lastSequence() + 3; // the server clamps the start to last + 1
      try (ActivityReader reader = log.read("alice", after)) {
        List<Long> published = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          published.add(log.append("alice", "a", "x" + i, 1, Optional.empty()).event().sequence());
        }
        assertThat(reader.next(WAIT).orElseThrow().sequence()).isEqualTo(after + 1);
        assertThat(published).contains(after + 1);
      }
    }
  }

  @Test
  void aResumePointOlderThanTheStreamsFirstSequenceIsExpired() throws Exception {
    JetStreamActivitySettings settings = nats.freshSettings().withMaxAge(Duration.ofSeconds(1));
    try (JetStreamActivityLog log = JetStreamActivityLog.open(settings)) {
      long a1 = log.append("alice", "a", "1", 1, Optional.empty()).event().sequence();
      log.append("alice", "a", "2", 1, Optional.empty());
      Await.until("the first events to expire", () -> log.lastSequence("alice") == 0);
      long a3 = log.append("alice", "a", "3", 1, Optional.empty()).event().sequence();

      // The server alone would silently start at a3; the reader must say that a2 is gone.
      assertThatThrownBy(() -> log.read("alice", a1))
          .isInstanceOfSatisfying(ResumePointExpiredException.class,
              e -> assertThat(e.oldestRetained()).isEqualTo(a3));
      // Resuming right before the oldest kept event loses nothing.
      try (ActivityReader reader = log.read("alice", a3 - 1)) {
        assertThat(reader.next(WAIT).orElseThrow().sequence()).isEqualTo(a3);
      }
    }
  }

  @Test
  void aResumePointBeforeEventsThePerUserLimitDiscardedIsExpired() throws Exception {
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings().withMaxMessagesPerSubject(2))) {
      log.append("bob", "b", "kept", 1, Optional.empty()); // keeps the stream's first sequence at 1
      long a1 = log.append("alice", "a", "1", 1, Optional.empty()).event().sequence();
      long a2 = log.append("alice", "a", "2", 1, Optional.empty()).event().sequence();
      long a3 = log.append("alice", "a", "3", 1, Optional.empty()).event().sequence(); // discards a1

      assertThatThrownBy(() -> log.read("alice", a1 - 1))
          .isInstanceOfSatisfying(ResumePointExpiredException.class,
              e -> assertThat(e.oldestRetained()).isEqualTo(a2));
      try (ActivityReader reader = log.read("alice", a1)) {
        assertThat(drain(reader)).extracting(ActivityRecord::sequence).containsExactly(a2, a3);
      }
      // bob is below his limit: resuming him from the start of the stream is fine.
      try (ActivityReader reader = log.read("bob", 0)) {
        assertThat(drain(reader)).hasSize(1);
      }
    }
  }

  @Test
  void anExistingStreamGetsItsLimitsUpdatedButNotItsStorage() throws Exception {
    JetStreamActivitySettings settings = nats.freshSettings();
    try (JetStreamActivityLog log = JetStreamActivityLog.open(settings)) {
      log.append("alice", "a", "1", 1, Optional.empty());
    }
    JetStreamActivitySettings changed = settings.withMaxAge(Duration.ofDays(1)).withMaxMessagesPerSubject(50)
        .withDuplicateWindow(Duration.ofMinutes(5));
    try (JetStreamActivityLog log = JetStreamActivityLog.open(changed);
        Connection connection = nats.node().connect()) {
      StreamConfiguration config = connection.jetStreamManagement().getStreamInfo(settings.streamName())
          .getConfiguration();
      assertThat(config.getMaxAge()).isEqualTo(Duration.ofDays(1));
      assertThat(config.getMaxMsgsPerSubject()).isEqualTo(50);
      assertThat(config.getDuplicateWindow()).isEqualTo(Duration.ofMinutes(5));
      assertThat(log.lastSequence()).isEqualTo(1); // nothing lost
    }

    JetStreamActivitySettings memory = nats.freshSettings();
    try (Connection connection = nats.node().connect()) {
      JetStreamManagement jsm = connection.jetStreamManagement();
      jsm.addStream(StreamConfiguration.builder().name(memory.streamName())
          .subjects(memory.subjectPrefix() + ".>").storageType(StorageType.Memory).build());
    }
    assertThatThrownBy(() -> JetStreamActivityLog.open(memory))
        .isInstanceOf(ActivityStreamSetupException.class)
        .hasMessageContaining("storage memory (configured: file)")
        .hasMessageContaining("delete the stream")
        .hasMessageNotContaining("\n");
  }

  @Test
  void threeReplicasOnASingleNodeFailAtStartUpWithOneLine() {
    assertThatThrownBy(() -> JetStreamActivityLog.open(nats.freshSettings().withReplicas(3)))
        .isInstanceOf(ActivityStreamSetupException.class)
        .hasMessageContaining("replicas > 1 need a JetStream cluster")
        .hasMessageNotContaining("\n");
  }

  @Test
  void noServerFailsAtStartUpWithOneLine() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    assertThatThrownBy(() -> JetStreamActivityLog.open(JetStreamActivitySettings.of("nats://127.0.0.1:" + port)))
        .isInstanceOf(ActivityStreamSetupException.class)
        .hasMessageStartingWith("cannot connect to NATS at nats://127.0.0.1:" + port)
        .hasMessageNotContaining("\n");
  }

  @Test
  void callsFailFastWhileNatsIsDownAndWorkAgainWhenItIsBack() throws Exception {
    try (NatsTestCluster own = NatsTestCluster.startSingle();
        JetStreamActivityLog log = JetStreamActivityLog.open(JetStreamActivitySettings.of(own.url()))) {
      ActivityRecord before = log.append("alice", "a", "1", 1, Optional.empty()).event();
      ActivityReader reader = log.read("alice", 0);
      assertThat(reader.next(WAIT)).contains(before);

      own.node(0).kill();
      Await.until("every call to fail with StoreUnavailableException", () -> {
        try {
          log.append("alice", "a", "down", 1, Optional.empty());
          return false;
        } catch (StoreUnavailableException e) {
          return true;
        }
      });
      assertThatThrownBy(() -> log.lastSequence("alice")).isInstanceOf(StoreUnavailableException.class);
      assertThatThrownBy(() -> log.read("alice", 0)).isInstanceOf(StoreUnavailableException.class);

      own.node(0).start();
      ActivityRecord[] after = new ActivityRecord[1];
      Await.until("the client to reconnect by itself", () -> {
        try {
          after[0] = log.append("alice", "a", "2", 1, Optional.of("after-restart")).event();
          return true;
        } catch (StoreUnavailableException e) {
          return false;
        }
      });
      // The reader opened before the outage continues with the event published after it, once its consumer
      // has noticed the missing heartbeats and recreated itself (seconds, see JetStreamActivityLog).
      ActivityRecord next = reader.next(Await.BOUND).orElseThrow();
      assertThat(next.sequence()).isGreaterThan(before.sequence());
      assertThat(next).isEqualTo(log.event(next.sequence()));
      reader.close();
    }
  }

  private static List<ActivityRecord> drain(ActivityReader reader) throws InterruptedException {
    List<ActivityRecord> events = new ArrayList<>();
    for (Optional<ActivityRecord> next = reader.next(Duration.ofSeconds(2)); next.isPresent();
        next = reader.next(Duration.ofMillis(300))) {
      events.add(next.get());
    }
    return events;
  }
}
