package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class WatchLimitsTest {

  private final InMemoryUserStore store = new InMemoryUserStore();
  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final List<TestCalls.Started> calls = new ArrayList<>();
  private InProcessServer server;

  /** Ends the watches a test left open; then the cleanup closes the server. */
  @AfterEach
  void cancelWatches() {
    calls.forEach(TestCalls.Started::cancel);
  }

  private void start(UnaryOperator<UserServer.Builder> configure) throws Exception {
    for (String id : List.of("a", "b", "c", "d")) {
      store.create(new NewUser(id, id + "@example.com", id, "viewer", 0), Optional.empty());
    }
    server = cleanup.register(new InProcessServer(store, configure));
  }

  @Test
  void watchPastTheLimitPerUser_isRefused_untilOneCloses() throws Exception {
    start(b -> b.setMaxWatchesPerUser(2));
    CompletableFuture<Closed> first = watch("a");
    watch("a");
    TestCalls.awaitWatches(server.server(), 2);

    Closed third = watch("a").get(5, TimeUnit.SECONDS);

    assertThat(third.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(third.reason()).isEqualTo("TOO_MANY_WATCHES");
    assertThat(third.errorInfo().getMetadataMap())
        .containsExactlyInAnyOrderEntriesOf(Map.of("max_watches", "2", "per", "user", "user_id", "a"));
    assertThat(server.server().activeWatches()).isEqualTo(2);
    // Other users are not affected.
    watch("b");
    TestCalls.awaitWatches(server.server(), 3);

    calls.get(0).cancel();
    assertThat(first.get(5, TimeUnit.SECONDS).code()).isEqualTo(Status.Code.CANCELLED);
    TestCalls.awaitWatches(server.server(), 2);
    CompletableFuture<Closed> again = watch("a");
    TestCalls.awaitWatches(server.server(), 3);
    assertThat(again).isNotDone();
  }

  @Test
  void watchPastTheLimitOfTheServer_isRefused_untilOneEnds() throws Exception {
    start(b -> b.setMaxWatches(3));
    CompletableFuture<Closed> onA = watch("a");
    watch("b");
    watch("c");
    TestCalls.awaitWatches(server.server(), 3);

    Closed fourth = watch("d").get(5, TimeUnit.SECONDS);

    assertThat(fourth.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(fourth.reason()).isEqualTo("TOO_MANY_WATCHES");
    assertThat(fourth.errorInfo().getMetadataMap())
        .containsExactlyInAnyOrderEntriesOf(Map.of("max_watches", "3", "per", "server"));

    // Deleting a watched user completes its watch, which frees its place.
    server.blocking().deleteUser(DeleteUserRequest.newBuilder().setId("a").build());
    assertThat(onA.get(5, TimeUnit.SECONDS).code()).isEqualTo(Status.Code.OK);
    TestCalls.awaitWatches(server.server(), 2);
    watch("d");
    TestCalls.awaitWatches(server.server(), 3);
  }

  @Test
  void refusedWatches_neverCountAsOpen() throws Exception {
    start(b -> b.setMaxWatches(1).setMaxWatchesPerUser(1));
    watch("a");
    TestCalls.awaitWatches(server.server(), 1);

    for (int i = 0; i < 20; i++) {
      assertThat(watch(i % 2 == 0 ? "a" : "b").get(5, TimeUnit.SECONDS).code())
          .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    assertThat(server.server().activeWatches()).isEqualTo(1);
  }

  @Test
  void builder_limitsBelowOne_areRefused() {
    UserServer.Builder builder = UserServer.newBuilder(InProcessServerBuilder.forName("x"));

    assertThatThrownBy(() -> builder.setMaxWatches(0)).hasMessage("max: 0 (expected: >= 1)");
    assertThatThrownBy(() -> builder.setMaxWatchesPerUser(-1)).hasMessage("max: -1 (expected: >= 1)");
  }

  /** Opens a watch of {@code userId}; the future completes when the server ends it. */
  private CompletableFuture<Closed> watch(String userId) {
    TestCalls.Started started = TestCalls.watch(server.channel(), userId);
    calls.add(started);
    return started.closed();
  }
}
