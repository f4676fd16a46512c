package io.github.usergrpc.user.client.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.ServerProcess;
import io.github.usergrpc.user.v1.UserResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The server process is killed with SIGKILL in the middle of a write load. After a restart on the same
 * database, every create that was acknowledged to a client is there with its values, and nothing is half
 * written: each user has exactly one {@code user.created} event, each such event its user, and the
 * head of every user matches its last event. Subclasses choose the database.
 */
abstract class ServerCrashTest {

  /** Returns the server's {@code --store} (and other) arguments for the database under test. */
  abstract List<String> storeArguments();

  /** Opens a plain JDBC connection to the same database, for the integrity checks. */
  abstract Connection connect() throws SQLException;

  @Test
  void sigkillUnderWriteLoad_losesNoAcknowledgedCreate_andLeavesNothingHalfWritten() throws Exception {
    Map<String, UserResponse> acknowledged = new ConcurrentHashMap<>();
    ServerProcess first = ServerProcess.start(arguments());
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger failures = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try (UserClient client = UserClient.newBuilder().setTarget("127.0.0.1:" + first.port()).usePlaintext()
        .setTimeout(Duration.ofSeconds(5)).build()) {
      AtomicInteger next = new AtomicInteger();
      for (int w = 0; w < 4; w++) {
        writers.submit(() -> {
          while (writing.get()) {
            String email = "crash" + next.incrementAndGet() + "@example.com";
            try {
              acknowledged.put(email, client.createUser(email, "Crash " + email, "").join());
            } catch (CompletionException e) {
              failures.incrementAndGet();
            }
          }
        });
      }
      awaitAtLeast(acknowledged, 50);

      first.kill();

      awaitFailures(failures);
      writing.set(false);
      writers.shutdown();
      assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      writing.set(false);
      writers.shutdownNow();
      first.close();
    }

    ServerProcess second = ServerProcess.start(arguments());
    try (UserClient client = UserClient.newBuilder().setTarget("127.0.0.1:" + second.port()).usePlaintext()
        .build()) {
      for (UserResponse created : acknowledged.values()) {
        assertThat(client.getUser(created.getId()).join()).isEqualTo(created);
      }
    } finally {
      second.terminate();
    }
    try (Connection connection = connect(); Statement sql = connection.createStatement()) {
      assertThat(count(sql, "SELECT COUNT(*) FROM users")).isGreaterThanOrEqualTo(acknowledged.size());
      assertThat(count(sql, "SELECT COUNT(*) FROM users u WHERE (SELECT COUNT(*) FROM activity a"
          + " WHERE a.user_id = u.id AND a.action = 'user.created') <> 1")).as("users without one created event")
          .isZero();
      assertThat(count(sql, "SELECT COUNT(*) FROM activity a WHERE a.action = 'user.created'"
          + " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)")).as("created events without user")
          .isZero();
      assertThat(count(sql, "SELECT COUNT(*) FROM activity_heads h WHERE h.last_sequence <>"
          + " (SELECT COALESCE(MAX(a.sequence), 0) FROM activity a WHERE a.user_id = h.user_id)"))
          .as("users whose head is not their last event").isZero();
    }
  }

  private String[] arguments() {
    List<String> args = new ArrayList<>(List.of("--port", "0"));
    args.addAll(storeArguments());
    return args.toArray(new String[0]);
  }

  private static long count(Statement sql, String query) throws SQLException {
    try (ResultSet rows = sql.executeQuery(query)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static void awaitAtLeast(Map<?, ?> map, int size) {
    Await.until(() -> size + " acknowledged creates, have " + map.size(), () -> map.size() >= size);
  }

  private static void awaitFailures(AtomicInteger failures) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (failures.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  static Connection connect(String url, String user, String password) throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }
}
