package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scaling out: two server processes on one PostgreSQL database, each with its own store and pool. */
class MultiServerPostgresTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Test
  void watcherOnOneServer_seesChangesMadeThroughAnother_withinASecond() throws Exception {
    try (JdbcUserStore storeA = JdbcUserStore.open(postgres.settings());
        JdbcUserStore storeB = JdbcUserStore.open(postgres.settings());
        InProcessServer serverA = new InProcessServer(storeA);
        InProcessServer serverB = new InProcessServer(storeB)) {
      UserResponse user = serverB.blocking().createUser(CreateUserRequest.newBuilder()
          .setEmail("scaled@example.com").setName("Scaled").build());
      // Resume after an event written through B, so the watch on A starts at a known point.
      ActivityEvent start = serverB.blocking().recordActivity(RecordActivityRequest.newBuilder()
          .setUserId(user.getId()).setAction("login").build()).getEvent();
      BlockingQueue<ActivityEvent> seenOnA = new LinkedBlockingQueue<>();
      UserServiceGrpc.newStub(serverA.channel()).watchUserActivity(WatchRequest.newBuilder()
          .setUserId(user.getId()).setResumeAfter(start.getSequence()).build(), collectInto(seenOnA));

      long changedAt = System.nanoTime();
      serverB.blocking().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setName("Moved").build());
      ActivityEvent event = seenOnA.poll(5, TimeUnit.SECONDS);
      long latencyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changedAt);

      assertThat(event).isNotNull();
      assertThat(event.getAction()).isEqualTo("user.updated");
      assertThat(event.getDetails()).isEqualTo("name");
      assertThat(latencyMillis).as("change on B to event on A, ms").isLessThan(1000);
    }
  }

  private static StreamObserver<ActivityEvent> collectInto(BlockingQueue<ActivityEvent> events) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ActivityEvent value) {
        events.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
