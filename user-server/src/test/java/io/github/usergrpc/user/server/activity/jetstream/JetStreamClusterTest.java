package io.github.usergrpc.user.server.activity.jetstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An R3 activity stream on a three-node cluster ({@link NatsTestCluster}) while one node, the stream's
 * leader, is killed with SIGKILL and started again: no acknowledged event is lost or stored twice, and a
 * reader that was live before the kill receives every event of its user, once, in order.
 */
class JetStreamClusterTest {

  private static final int EVENTS = 300;
  private static final Duration PUBLISH_BOUND = Duration.ofSeconds(120);

  @Test
  void killingTheStreamLeaderLosesNoAcknowledgedEventAndALiveReaderContinues() throws Exception {
    try (NatsTestCluster cluster = NatsTestCluster.startCluster(3);
        JetStreamActivityLog log = JetStreamActivityLog.open(JetStreamActivitySettings.of(cluster.url())
            .withReplicas(3).withRequestTimeout(Duration.ofSeconds(2)));
        ActivityReader reader = log.read("alice", 0)) {
      // Acknowledged events by sequence; the publisher retries each event (same message id) until it is.
      Map<Long, ActivityRecord> acknowledged = new ConcurrentSkipListMap<>();
      AtomicInteger failures = new AtomicInteger();
      ExecutorService publisher = Executors.newSingleThreadExecutor();
      Future<?> publishing = publisher.submit(() -> {
        for (int i = 0; i < EVENTS; i++) {
          String user = i % 2 == 0 ? "alice" : "bob";
          long deadline = System.nanoTime() + PUBLISH_BOUND.toNanos();
          while (true) {
            try {
              ActivityRecord stored = log.append(user, "page_view", "/" + i, i, Optional.of("event-" + i)).event();
              acknowledged.put(stored.sequence(), stored);
              break;
            } catch (StoreUnavailableException e) {
              failures.incrementAndGet();
              if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("event " + i + " was not acknowledged within " + PUBLISH_BOUND, e);
              }
              Thread.sleep(50);
            }
          }
        }
        return null;
      });
      publisher.shutdown();

      List<ActivityRecord> live = new ArrayList<>();
      Await.until("a third of the events to be acknowledged", () -> acknowledged.size() >= EVENTS / 3);
      String leader = leader(cluster, log.settings().streamName());
      NatsTestCluster.Node victim = cluster.nodes().stream().filter(n -> n.name().equals(leader)).findFirst()
          .orElseThrow();
      victim.kill();
      int atKill = acknowledged.size();
      Await.until("more events to be acknowledged without the old leader " + leader,
          () -> acknowledged.size() >= Math.min(EVENTS, atKill + EVENTS / 3));
      victim.start();
      publishing.get(PUBLISH_BOUND.toSeconds() * 2, TimeUnit.SECONDS);

      // Every acknowledged event is in the stream, with what was published; nothing is there twice.
      assertThat(acknowledged).hasSize(EVENTS);
      for (ActivityRecord event : acknowledged.values()) {
        assertThat(log.event(event.sequence())).isEqualTo(event);
      }
      assertThat(log.lastSequence()).isEqualTo(EVENTS);

      // The live reader got alice's events, each once, in order.
      List<ActivityRecord> alices = acknowledged.values().stream().filter(e -> e.userId().equals("alice")).toList();
      long deadline = System.nanoTime() + Await.BOUND.toNanos();
      while (live.size() < alices.size() && System.nanoTime() - deadline < 0) {
        reader.next(Duration.ofSeconds(1)).ifPresent(live::add);
      }
      assertThat(live).containsExactlyElementsOf(alices);
      System.out.printf("JetStreamClusterTest: killed %s after %d of %d events; %d publish attempts failed"
          + " and were retried%n", leader, atKill, EVENTS, failures.get());
    }
  }

  private static String leader(NatsTestCluster cluster, String stream) throws Exception {
    try (Connection connection = cluster.connect()) {
      return connection.jetStreamManagement().getStreamInfo(stream).getClusterInfo().getLeader();
    }
  }

}
