package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.NatsTestCluster;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.nats.client.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three server processes on one PostgreSQL schema with their activity on NATS JetStream: a change through one
 * replica reaches the watchers on all three; a replica killed with SIGKILL under write and watch load leaves
 * its watchers to reconnect to another with {@code resume_after}, and each receives every event of its user
 * exactly once, in order; a node of a three-node JetStream cluster killed with SIGKILL loses no acknowledged
 * event, and every watch goes on without a break.
 */
class JetStreamReplicasTest {

  private static final int REPLICAS = 3;

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  final LocalNats nats = new LocalNats();

  @Test
  @Timeout(180)
  void changeThroughOneReplica_reachesTheWatchersOnAllThree() throws Exception {
    JetStreamActivitySettings stream = nats.freshSettings();
    try (ServerReplicas replicas = ServerReplicas.start(REPLICAS, postgres, "--activity", stream.servers().get(0),
        "--activity-stream", stream.streamName())) {
      String user = replicas.blocking(0).createUser(CreateUserRequest.newBuilder()
          .setEmail("ada-" + UUID.randomUUID() + "@example.com").setName("Ada").build()).getId();
      long start = replicas.blocking(1).recordActivity(RecordActivityRequest.newBuilder().setUserId(user)
          .setAction("login").build()).getEvent().getSequence();
      List<ResumingWatcher> watchers = new ArrayList<>();
      for (int i = 0; i < REPLICAS; i++) {
        watchers.add(ResumingWatcher.open(user, start, i, replicas::channel));
      }

      replicas.blocking(0).updateUser(UpdateUserRequest.newBuilder().setId(user).setName("Ada King").build());
      long viewed = replicas.blocking(2).recordActivity(RecordActivityRequest.newBuilder().setUserId(user)
          .setAction("page_view").setDetails("/profile").build()).getEvent().getSequence();

      for (ResumingWatcher watcher : watchers) {
        Await.until(() -> "the watcher on replica " + watcher.replica + " to receive up to " + viewed + "; it has "
            + watcher.events(), () -> watcher.lastSequence() >= viewed || watcher.fatal != null);
        assertThat(watcher.fatal).isNull();
        assertThat(watcher.events()).extracting(ActivityEvent::getAction, ActivityEvent::getDetails)
            .containsExactly(tuple("user.updated", "name"), tuple("page_view", "/profile"));
        assertThat(watcher.failures).hasValue(0);
      }
    }
  }

  @Test
  @Timeout(300)
  void killedReplica_itsWatchersResumeOnAnother_andReceiveEveryEventOnceInOrder() throws Exception {
    JetStreamActivitySettings stream = nats.freshSettings();
    int victim = REPLICAS - 1;
    try (ServerReplicas replicas = ServerReplicas.start(REPLICAS, postgres, "--activity", stream.servers().get(0),
        "--activity-stream", stream.streamName())) {
      ActivityUnderLoad.Outcome outcome = ActivityUnderLoad.run(replicas, stream, 6, List.of(0, victim), 150,
          victim, () -> replicas.kill(victim));

      List<ResumingWatcher> moved = outcome.watchers().stream().filter(w -> w.startedOn().get(0) == victim).toList();
      assertThat(moved).allSatisfy(watcher -> {
        assertThat(watcher.failures.get()).as("reconnections of a watch of the killed replica").isPositive();
        assertThat(watcher.startedOn().subList(1, watcher.startedOn().size())).doesNotContain(victim);
      });
      assertThat(outcome.watchers()).filteredOn(w -> w.startedOn().get(0) != victim)
          .allSatisfy(watcher -> assertThat(watcher.failures).as("breaks of a watch on a replica that lives")
              .hasValue(0));
      System.out.printf("JetStreamReplicasTest: replica %d killed; %d calls, %d RecordActivity acknowledged, %d"
          + " watchers moved%n", victim, outcome.calls(), outcome.acknowledged(), moved.size());
    }
  }

  @Test
  @Timeout(300)
  void killedNodeOfAThreeNodeJetStreamCluster_losesNoAcknowledgedEvent_andWatchesGoOn() throws Exception {
    try (NatsTestCluster cluster = NatsTestCluster.startCluster(3)) {
      JetStreamActivitySettings stream = JetStreamActivitySettings.of(cluster.url()).withReplicas(3);
      try (ServerReplicas replicas = ServerReplicas.start(REPLICAS, postgres, "--activity", cluster.url(),
          "--activity-replicas", "3")) {
        String[] killed = new String[1];
        ActivityUnderLoad.Outcome outcome = ActivityUnderLoad.run(replicas, stream, 6, List.of(0, 1, 2), 120, -1,
            () -> {
              killed[0] = leader(cluster, stream.streamName());
              cluster.nodes().stream().filter(node -> node.name().equals(killed[0])).findFirst().orElseThrow()
                  .kill();
            });

        assertThat(outcome.watchers()).allSatisfy(watcher -> assertThat(watcher.failures)
            .as("breaks of a watch while a NATS node died").hasValue(0));
        System.out.printf("JetStreamReplicasTest: stream leader %s killed; %d calls, %d RecordActivity"
            + " acknowledged, %d retried while the stream was unavailable%n", killed[0], outcome.calls(),
            outcome.acknowledged(), outcome.retries());
      }
    }
  }

  private static String leader(NatsTestCluster cluster, String stream) throws Exception {
    try (Connection connection = cluster.connect()) {
      return connection.jetStreamManagement().getStreamInfo(stream).getClusterInfo().getLeader();
    }
  }
}
