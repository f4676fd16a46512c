package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client over real TCP, where connections break: server restarts and unreachable servers. */
class UserClientNettyTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void watchActivity_serverRestarts_resumesWithoutLosingOrRepeatingEvents() throws Exception {
    InMemoryUserStore store = new InMemoryUserStore();
    int port = freePort();
    UserServer server = start(store, port);
    List<ActivityEvent> seen = new CopyOnWriteArrayList<>();
    try (UserClient client = UserClient.newBuilder().setTarget("127.0.0.1:" + port).usePlaintext()
        .setWatchBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build()) {
      UserResponse user = client.createUser("restart@example.com", "R", "").join();
      WatchHandle watch = client.watchActivity(user.getId(), seen::add);
      // Registered is not yet started: only what is committed after the start is part of the watch.
      watch.started().toCompletableFuture().get(Await.BOUND.toSeconds(), TimeUnit.SECONDS);
      for (int i = 0; i < 5; i++) {
        client.recordActivity(user.getId(), "before", "" + i).join();
      }
      awaitSize(seen, 5);

      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      // Written while no server runs: the watch must replay them after it reconnects.
      for (int i = 0; i < 3; i++) {
        store.recordActivity(user.getId(), "while_down", "" + i, System.currentTimeMillis(),
            Optional.empty());
      }
      server = start(store, port);
      awaitWatches(server, 1);
      for (int i = 0; i < 5; i++) {
        client.recordActivity(user.getId(), "after", "" + i).join();
      }
      awaitSize(seen, 13);

      assertThat(seen).extracting(ActivityEvent::getAction).containsExactly(
          "before", "before", "before", "before", "before", "while_down", "while_down", "while_down",
          "after", "after", "after", "after", "after");
      List<Long> sequences = new ArrayList<>();
      seen.forEach(e -> sequences.add(e.getSequence()));
      assertThat(sequences).isSorted().doesNotHaveDuplicates();
      assertThat(watch.reconnects()).isPositive();
      assertThat(watch.isActive()).isTrue();
    }
  }

  @Test
  void unaryCall_noServer_failsUnavailableWithinItsDeadline() throws Exception {
    int port = freePort();
    try (UserClient client = UserClient.newBuilder().setTarget("127.0.0.1:" + port).usePlaintext()
        .setTimeout(Duration.ofSeconds(2)).build()) {
      long start = System.nanoTime();
      Throwable failure = null;
      try {
        client.getUser("anyone").join();
      } catch (CompletionException e) {
        failure = e.getCause();
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(failure).isInstanceOfAny(UnavailableException.class, DeadlineExceededException.class);
      // Retries that ignored the deadline would take many seconds; the slack is for a busy machine.
      assertThat(millis).as("retries stay within the 2 s deadline").isLessThan(4_500);
    }
  }

  /** Starts a server on the port, closed after the test. */
  private UserServer start(InMemoryUserStore store, int port) throws IOException {
    return cleanup.register(UserServer.newBuilder(
        Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())).setStore(store).build().start());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void awaitSize(List<?> list, int size) {
    Await.until(() -> size + " events, have " + list, () -> list.size() >= size);
  }

  private static void awaitWatches(UserServer server, int count) {
    Await.until(() -> count + " watches, have " + server.activeWatches(), () -> server.activeWatches() == count);
  }
}
