package io.github.usergrpc.user.server.activity.jetstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link OutboxRelay} with a fake outbox, the real NATS server of {@link NatsTestCluster}, and PostgreSQL's advisory locks. */
class OutboxRelayTest {

  @RegisterExtension static final SingleNatsNode nats = new SingleNatsNode();

  private static final Duration POLL = Duration.ofMillis(50);
  private static final String PREFIX = "outbox:test:";

  @RegisterExtension final PostgresTestDatabase postgres = new PostgresTestDatabase();



  @Test
  void relaysEveryRowOnceInIdOrderAndMarksIt() throws Exception {
    FakeOutbox outbox = new FakeOutbox();
    for (int i = 0; i < 7; i++) {
      outbox.add(i % 2 == 0 ? "alice" : "bob", "user.updated", "name" + i);
    }
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings());
        OutboxRelay relay = relay(outbox.view(), log, RelayLease.singleProcess(), 3)) {
      assertThat(relay.relayPending()).isEqualTo(7);

      assertThat(outbox.pendingCount()).isZero();
      assertThat(log.lastSequence()).isEqualTo(7);
      assertThat(all(log, "alice")).extracting(ActivityRecord::details)
          .containsExactly("name0", "name2", "name4", "name6");
      assertThat(log.event(2)).isEqualTo(new ActivityRecord(2, "bob", "user.updated", "name1", 2000));
    }
  }

  @Test
  void aCrashBetweenPublishAndMarkDoesNotStoreAnEventTwice() throws Exception {
    FakeOutbox outbox = new FakeOutbox();
    for (int i = 0; i < 5; i++) {
      outbox.add("alice", "user.updated", "v" + i);
    }
    JetStreamActivitySettings settings = nats.freshSettings();
    outbox.failNextMarks(1);
    try (JetStreamActivityLog log = JetStreamActivityLog.open(settings);
        OutboxRelay dying = relay(outbox.view(), log, RelayLease.singleProcess(), 10)) {
      assertThat(dying.relayPending()).isZero(); // published all five, then "died" before marking
      assertThat(outbox.pendingCount()).isEqualTo(5);
      assertThat(log.lastSequence()).isEqualTo(5);
    }
    // Another process, with its own connection, finds the rows still pending and relays them again.
    try (JetStreamActivityLog log = JetStreamActivityLog.open(settings);
        OutboxRelay next = relay(outbox.view(), log, RelayLease.singleProcess(), 10)) {
      outbox.add("alice", "user.deleted", "");
      assertThat(next.relayPending()).isEqualTo(6);

      assertThat(outbox.pendingCount()).isZero();
      assertThat(all(log, "alice")).extracting(ActivityRecord::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(log.event(6).action()).isEqualTo("user.deleted");
    }
  }

  @Test
  @SuppressWarnings("try") // closing the first relay before the end of its block is the step under test
  void ofTwoRelaysOnOneDatabaseOnlyTheLeaseHolderWorksAndTheOtherTakesOverWhenItStops() throws Exception {
    FakeOutbox outbox = new FakeOutbox();
    FakeOutbox.View firstView = outbox.view();
    FakeOutbox.View secondView = outbox.view();
    long key = new SecureRandom().nextLong(); // no other test run shares it
    PostgresAdvisoryLease.ConnectionFactory connections =
        () -> DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
    CountingLease secondLease = new CountingLease(new PostgresAdvisoryLease(connections, key));
    try (JetStreamActivityLog log = JetStreamActivityLog.open(nats.freshSettings());
        OutboxRelay first = relay(firstView, log, new PostgresAdvisoryLease(connections, key), 10);
        OutboxRelay second = relay(secondView, log, secondLease, 10)) {
      first.start();
      outbox.add("alice", "user.updated", "probe");
      Await.until("the first relay to take the lease and relay a row", () -> outbox.pendingCount() == 0);

      // The first relay holds five rows between publish and mark; they stay pending, in plain sight.
      CountDownLatch gate = new CountDownLatch(1);
      firstView.markGate = gate;
      for (int i = 0; i < 5; i++) {
        outbox.add("alice", "user.updated", "a" + i);
      }
      first.wakeUp();
      Await.until("the first relay to read the rows", () -> firstView.rowsGiven.get() == 6);
      second.start();
      Await.until("the second relay to ask for the lease three times", () -> secondLease.asked.get() >= 3);
      assertThat(secondLease.granted.get()).isZero();
      assertThat(secondView.rowsGiven.get()).as("rows the relay without the lease read").isZero();
      gate.countDown();
      Await.until("the first relay to mark its rows", () -> outbox.pendingCount() == 0);

      first.close(); // gives the lease up (a crash would too, when its session ends)
      for (int i = 0; i < 5; i++) {
        outbox.add("bob", "user.updated", "b" + i);
      }
      second.wakeUp();
      Await.until("the second relay to take over", () -> outbox.pendingCount() == 0);
      assertThat(secondView.rowsGiven.get()).isEqualTo(5);
      assertThat(firstView.rowsGiven.get()).isEqualTo(6);
      assertThat(log.lastSequence()).isEqualTo(11); // each row once
    }
  }

  /** A lease that counts how often it was asked and granted. */
  private static final class CountingLease implements RelayLease {
    final AtomicInteger asked = new AtomicInteger();
    final AtomicInteger granted = new AtomicInteger();
    private final RelayLease lease;

    CountingLease(RelayLease lease) {
      this.lease = lease;
    }

    @Override
    public boolean tryAcquire() {
      boolean held = lease.tryAcquire();
      if (held) {
        granted.incrementAndGet();
      }
      asked.incrementAndGet();
      return held;
    }

    @Override
    public void close() {
      lease.close();
    }
  }

  @Test
  void rowsWaitWhileNatsIsDownAndGoOutWhenItIsBack() throws Exception {
    FakeOutbox outbox = new FakeOutbox();
    try (NatsTestCluster own = NatsTestCluster.startSingle();
        JetStreamActivityLog log = JetStreamActivityLog.open(JetStreamActivitySettings.of(own.url()));
        OutboxRelay relay = relay(outbox.view(), log, RelayLease.singleProcess(), 10)) {
      relay.start();
      own.node(0).kill();
      for (int i = 0; i < 3; i++) {
        outbox.add("alice", "user.updated", "x" + i);
      }
      relay.wakeUp();
      assertThat(outbox.pendingCount()).isEqualTo(3);
      own.node(0).start();
      Await.until("the rows to be relayed once NATS is back", () -> outbox.pendingCount() == 0);
      assertThat(all(log, "alice")).extracting(ActivityRecord::details).containsExactly("x0", "x1", "x2");
    }
  }

  private static OutboxRelay relay(OutboxSource source, JetStreamActivityLog log, RelayLease lease, int batch) {
    return new OutboxRelay(source, log, lease, PREFIX, event -> {}, POLL, Duration.ZERO, batch);
  }

  private static List<ActivityRecord> all(JetStreamActivityLog log, String userId) throws InterruptedException {
    List<ActivityRecord> events = new ArrayList<>();
    try (ActivityReader reader = log.read(userId, 0)) {
      for (Optional<ActivityRecord> next = reader.next(Duration.ofSeconds(2)); next.isPresent();
          next = reader.next(Duration.ofMillis(300))) {
        events.add(next.get());
      }
    }
    return events;
  }
}
