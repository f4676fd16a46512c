package io.github.usergrpc.user.client.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.ServerProcess;
import io.github.usergrpc.user.client.UserServiceException;
import io.github.usergrpc.user.client.WatchHandle;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Status;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server process restarts (SIGTERM, then a new process on the same port and database) while a client
 * reads through a DNS target and watches a user: the client reconnects by itself, reads succeed again, and
 * the watch resumes without losing or repeating an event.
 */
class ServerRestartTest {

  @TempDir
  Path directory;

  @Test
  void serverRestartsUnderReadLoad_clientReconnects_andWatchResumesWithoutLoss() throws Exception {
    int port = freePort();
    String[] args = {"--port", Integer.toString(port), "--store", "h2:" + directory.resolve("users")};
    ServerProcess server = ServerProcess.start(args);
    List<ActivityEvent> seen = new CopyOnWriteArrayList<>();
    Map<Status.Code, AtomicInteger> reads = new ConcurrentHashMap<>();
    AtomicBoolean reading = new AtomicBoolean(true);
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try (UserClient client = UserClient.newBuilder().setTarget("dns:///localhost:" + port).usePlaintext()
        .setTimeout(Duration.ofSeconds(10)).setWatchBackoff(Duration.ofMillis(50), Duration.ofMillis(500)).build()) {
      UserResponse user = client.createUser("restart@example.com", "Restart", "").join();
      WatchHandle watch = client.watchActivity(user.getId(), seen::add);
      // Events committed before the server has started the stream are not part of it.
      watch.started().toCompletableFuture().get(30, TimeUnit.SECONDS);
      for (int i = 0; i < 5; i++) {
        client.recordActivity(user.getId(), "before_restart", "" + i).join();
      }
      awaitSize(seen, 5);
      for (int r = 0; r < 2; r++) {
        readers.submit(() -> {
          while (reading.get()) {
            Status.Code code;
            try {
              client.getUser(user.getId()).join();
              code = Status.Code.OK;
            } catch (CompletionException e) {
              code = ((UserServiceException) e.getCause()).code();
            }
            reads.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
          }
        });
      }
      Await.until("reads before the restart", () -> okReads(reads) > 0);

      server.terminate();
      int okBefore = okReads(reads);
      server = ServerProcess.start(args);

      // The channel reconnects by itself, after its connect backoff: however long the restart took. Each
      // reader may count one answer of the old server after it exited, hence the + 2.
      Await.until("a read after the restart", () -> okReads(reads) > okBefore + 2);
      for (int i = 0; i < 5; i++) {
        client.recordActivity(user.getId(), "after_restart", "" + i).join();
      }
      awaitSize(seen, 10);
      reading.set(false);
      readers.shutdown();
      assertThat(readers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

      assertThat(seen).extracting(ActivityEvent::getAction).containsExactly(
          "before_restart", "before_restart", "before_restart", "before_restart", "before_restart",
          "after_restart", "after_restart", "after_restart", "after_restart", "after_restart");
      assertThat(seen).extracting(ActivityEvent::getSequence).isSorted().doesNotHaveDuplicates();
      assertThat(watch.reconnects()).isPositive();
      assertThat(reads.keySet()).as("read outcomes %s", reads)
          .isSubsetOf(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
    } finally {
      reading.set(false);
      readers.shutdownNow();
      server.close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static int okReads(Map<Status.Code, AtomicInteger> reads) {
    AtomicInteger ok = reads.get(Status.Code.OK);
    return ok == null ? 0 : ok.get();
  }

  private static void awaitSize(List<?> list, int size) {
    Await.until(() -> size + " events, have " + list.size() + ": " + list, () -> list.size() >= size);
  }
}
