package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SqliteUserStoreTest extends JdbcUserStoreContractTest {

  @TempDir
  Path directory;

  @Override
  JdbcSettings freshDatabase() {
    return JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:sqlite:" + directory.resolve("users-" + UUID.randomUUID() + ".db"))
        .build();
  }

  /**
   * Bounded on SQLite: the racing test's two stores serialize their writers each with its own
   * {@code WriteTurn}, and between the two only SQLite's file lock orders them, for which a waiter polls with
   * busy_timeout's sleeps. The other store's writers, which never pause, take the lock back to back, so the
   * delete could wait until busy_timeout and fail. One store on a file (one server) is fair.
   */
  @Override
  int racingWritesAfterDelete() {
    return 20;
  }

  @Test
  void open_newFile_isInWalMode() throws Exception {
    try (Connection connection = DriverManager.getConnection(settings().jdbcUrl());
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("PRAGMA journal_mode")) {
      assertThat(rows.next()).isTrue();
      assertThat(rows.getString(1)).isEqualTo("wal");
    }
  }

  /**
   * Two stores on one file share no write lock in Java, only SQLite's: each transaction must take it when it
   * begins. With {@code transaction_mode=DEFERRED} this fails: a transaction that read the user cannot
   * upgrade to a writer after the other store wrote, and SQLite answers SQLITE_BUSY at once.
   */
  @Test
  @Timeout(120)
  void update_concurrentIncrementsFromTwoStoresOnOneFile_loseNoUpdate() throws Exception {
    int threadsPerStore = 4;
    int incrementsPerThread = 25;
    store.create(new NewUser("u1", "a@example.com", "0", "viewer", 1), Optional.empty());
    ExecutorService threads = Executors.newFixedThreadPool(2 * threadsPerStore);
    try (JdbcUserStore other = JdbcUserStore.open(settings())) {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 2 * threadsPerStore; t++) {
        UserStore writer = t % 2 == 0 ? store : other;
        futures.add(threads.submit(() -> {
          for (int done = 0; done < incrementsPerThread; ) {
            User current = writer.find("u1").orElseThrow();
            String next = Integer.toString(Integer.parseInt(current.name()) + 1);
            try {
              writer.update("u1", new UserChanges(Optional.empty(), Optional.of(next), Optional.empty()),
                  Optional.of(current.etag()), 2);
              done++;
            } catch (EtagMismatchException e) {
              // The other writer incremented first: read again.
            }
          }
          return null;
        }));
      }
      for (Future<?> future : futures) {
        future.get(100, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }

    int total = 2 * threadsPerStore * incrementsPerThread;
    assertThat(store.find("u1").orElseThrow().name()).isEqualTo(Integer.toString(total));
    assertThat(store.userActivityAfter("u1", 0, 1000)).hasSize(total + 1);
  }

  /**
   * A kill leaves the WAL uncheckpointed; reopening replays it. Fails if the store acknowledged a create
   * before its commit reached the WAL file (with the connection left in a transaction, say).
   */
  @Test
  @Timeout(60)
  void create_processKilledRightAfterwards_keepsEveryAcknowledgedUser() throws Exception {
    KilledWriter.assertKeepsEveryAcknowledgedUser("jdbc:sqlite:" + directory.resolve("killed.db"), directory);
  }
}
