package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.NatsTestCluster;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NATS goes down under a server in JetStream mode (a node of the test's own, killed with SIGKILL and started
 * again): calls that need the stream fail at once with UNAVAILABLE (STORE_UNAVAILABLE), changes still
 * succeed, health says NOT_SERVING, and once NATS is back the server serves again by itself, a watch opened
 * before the outage still open and receiving, the changes' events included, in order.
 */
class JetStreamOutageTest {

  private static final Duration HEALTH_INTERVAL = Duration.ofMillis(100);

  @Test
  @Timeout(180)
  void natsDown_activityCallsFailFast_healthFollows_andTheServerRecoversByItself() throws Exception {
    JdbcUserStore users = JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:h2:mem:jetstream-outage-" + UUID.randomUUID()).setActivityOutbox(true).build());
    try (NatsTestCluster own = NatsTestCluster.startSingle();
        JetStreamUserStore store = JetStreamUserStore.open(users, users.outbox(), RelayLease.singleProcess(),
            JetStreamActivitySettings.of(own.url()));
        InProcessServer server = new InProcessServer(store, b -> b.setHealthCheckInterval(HEALTH_INTERVAL))) {
      UserServiceGrpc.UserServiceBlockingStub stub = server.blocking();
      String id = stub.createUser(CreateUserRequest.newBuilder().setEmail("a@example.com").setName("A").build())
          .getId();
      long start = stub.recordActivity(RecordActivityRequest.newBuilder().setUserId(id).setAction("login").build())
          .getEvent().getSequence();
      ResumingWatcher watcher = ResumingWatcher.open(id, start, 0, replica -> server.channel());
      TestCalls.awaitWatches(server.server(), 1);
      awaitHealth(server, ServingStatus.SERVING);

      own.node(0).kill();
      awaitHealth(server, ServingStatus.NOT_SERVING);
      Closed recorded = TestCalls.call(server.channel(), UserServiceGrpc.getRecordActivityMethod(),
          RecordActivityRequest.newBuilder().setUserId(id).setAction("page_view").build(), new Metadata(),
          Duration.ofSeconds(10));
      assertThat(recorded.code()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(recorded.reason()).isEqualTo("STORE_UNAVAILABLE");
      Closed watch = TestCalls.call(server.channel(), UserServiceGrpc.getWatchUserActivityMethod(),
          WatchRequest.newBuilder().setUserId(id).build(), new Metadata(), Duration.ofSeconds(10));
      assertThat(watch.code()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(watch.reason()).isEqualTo("STORE_UNAVAILABLE");
      // A change is the database's: it succeeds, and its event follows once NATS is back.
      stub.updateUser(UpdateUserRequest.newBuilder().setId(id).setName("B").build());

      own.node(0).start();
      awaitHealth(server, ServingStatus.SERVING);
      long after = recordWhenAvailable(stub, id);

      Await.until(() -> "the watch to receive " + after + "; it has " + watcher.events(),
          () -> watcher.lastSequence() >= after || watcher.fatal != null);
      assertThat(watcher.fatal).isNull();
      assertThat(watcher.failures).as("breaks of the watch").hasValue(0);
      assertThat(watcher.events()).extracting(ActivityEvent::getAction, ActivityEvent::getDetails)
          .containsExactly(tuple("user.updated", "name"), tuple("page_view", "after"));
    }
  }

  /**
   * Records an event once the server takes it: health turns SERVING on the first answer from NATS, a call a
   * moment later may still find the connection settling.
   */
  private static long recordWhenAvailable(UserServiceGrpc.UserServiceBlockingStub stub, String id) {
    long[] sequence = new long[1];
    String requestId = UUID.randomUUID().toString();
    Await.until("RecordActivity to succeed after NATS came back", () -> {
      try {
        sequence[0] = stub.recordActivity(RecordActivityRequest.newBuilder().setUserId(id).setAction("page_view")
            .setDetails("after").setRequestId(requestId).build()).getEvent().getSequence();
        return true;
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        return false;
      }
    });
    return sequence[0];
  }

  private static void awaitHealth(InProcessServer server, ServingStatus expected) {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(server.channel());
    Await.until("health " + expected, () -> health.check(HealthCheckRequest.getDefaultInstance()).getStatus()
        == expected);
  }
}
