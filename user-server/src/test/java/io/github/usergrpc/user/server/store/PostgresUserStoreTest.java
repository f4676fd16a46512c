package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.EtagMismatchException;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresUserStoreTest extends JdbcUserStoreContractTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Override
  JdbcSettings freshDatabase() {
    return postgres.settings();
  }

  @Test
  void open_newDatabase_idsCompareByteWise() throws Exception {
    try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
            postgres.password());
        PreparedStatement select = connection.prepareStatement("SELECT collation_name"
            + " FROM information_schema.columns WHERE table_schema = ? AND table_name = 'users'"
            + " AND column_name = 'id'")) {
      select.setString(1, postgres.schema());
      try (ResultSet rows = select.executeQuery()) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getString(1)).isEqualTo("C");
      }
    }
  }

  @Test
  void calls_databaseGoneAfterOpen_throwStoreUnavailable() throws Exception {
    URI database = URI.create(postgres.jdbcUrl().substring("jdbc:".length()));
    try (TcpProxy proxy = TcpProxy.start(database.getHost(), database.getPort() < 0 ? 5432 : database.getPort())) {
      JdbcSettings viaProxy = settings().toBuilder()
          .setJdbcUrl("jdbc:postgresql://127.0.0.1:" + proxy.port() + database.getRawPath() + "?"
              + database.getRawQuery())
          .setConnectionTimeout(Duration.ofMillis(500))
          .build();
      try (JdbcUserStore viaProxyStore = JdbcUserStore.open(viaProxy)) {
        viaProxyStore.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());

        proxy.close();

        assertThatThrownBy(() -> viaProxyStore.find("u1")).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> viaProxyStore.create(new NewUser("u2", "b@example.com", "B", "viewer", 2),
            Optional.empty())).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(viaProxyStore::ping).isInstanceOf(StoreUnavailableException.class);
        assertThatThrownBy(() -> viaProxyStore.userActivityAfter("u1", 0, 10)).isInstanceOf(StoreUnavailableException.class);
      }
    }
    assertThat(store.find("u1")).isPresent();
  }

  /**
   * RecordActivity and CreateUser, with a request id or without, cost one round trip to PostgreSQL each: one
   * Sync of the extended query protocol, which pgjdbc logs at FINEST, on the calling thread. (A pooled
   * connection idle for more than 500 ms is validated first, one more round trip: hence at most two.)
   */
  @Test
  void writes_oneRoundTripEach() {
    store.create(new NewUser("u0", "u0@example.com", "A", "viewer", 1), Optional.empty());
    List<Integer> perCall = roundTrips(i -> {
      store.recordActivity("u0", "page_view", "/", 2, Optional.empty());
      store.recordActivity("u0", "page_view", "/", 2, Optional.of("r" + i));
      store.create(new NewUser("a" + i, "a" + i + "@example.com", "A", "viewer", 2), Optional.empty());
      store.create(new NewUser("b" + i, "b" + i + "@example.com", "B", "admin", 2), Optional.of("c" + i));
    });

    // Four calls per round: four round trips, five or more when a connection was validated first.
    assertThat(perCall).allSatisfy(trips -> assertThat(trips).isBetween(4, 8));
    assertThat(perCall.stream().sorted().toList().get(perCall.size() / 2)).as("the median of " + perCall)
        .isEqualTo(4);
  }

  /** UpdateUser costs two round trips: the read of the user, then one statement that writes. */
  @Test
  void update_twoRoundTrips() {
    store.create(new NewUser("u0", "u0@example.com", "A", "viewer", 1), Optional.empty());
    List<Integer> perCall = roundTrips(i -> store.update("u0", new UserChanges(Optional.empty(),
        Optional.of("Name " + i), Optional.of(i % 2 == 0 ? "viewer" : "admin")), Optional.empty(), 2 + i));

    assertThat(perCall).allSatisfy(trips -> assertThat(trips).isBetween(2, 4));
    assertThat(perCall.stream().sorted().toList().get(perCall.size() / 2)).as("the median of " + perCall)
        .isEqualTo(2);
    assertThat(store.count(Optional.of("viewer"))).isEqualTo(1);
    assertThat(store.count(Optional.of("admin"))).isZero();
  }

  /**
   * UpdateUser reads the user without a lock and writes it guarded by the version it read: another server's
   * change that commits while the write waits for the row makes the write find another version, and the update
   * runs again on that version, so nothing is lost.
   */
  @Test
  @Timeout(60)
  void update_userChangedWhileTheWriteWaits_appliesToTheNewVersion() throws Exception {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());

    User updated = whileAnotherWriterHoldsTheRow("u1", () -> store.update("u1", new UserChanges(Optional.empty(),
        Optional.of("Mine"), Optional.empty()), Optional.empty(), 2)).join();

    assertThat(updated.version()).isEqualTo(3);
    assertThat(store.find("u1")).hasValueSatisfying(user -> {
      assertThat(user.name()).isEqualTo("Mine");
      assertThat(user.role()).isEqualTo("other");
      assertThat(user.version()).isEqualTo(3);
    });
  }

  /** As above, with the etag of the version it read: the update runs again and finds the etag stale. */
  @Test
  @Timeout(60)
  void update_userChangedWhileTheWriteWaits_checksTheEtagAgain() throws Exception {
    User created = store.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());

    CompletableFuture<User> update = whileAnotherWriterHoldsTheRow("u1", () -> store.update("u1",
        new UserChanges(Optional.empty(), Optional.of("Mine"), Optional.empty()), Optional.of(created.etag()), 2));

    assertThatThrownBy(update::join).hasCauseInstanceOf(EtagMismatchException.class);
    assertThat(store.find("u1")).hasValueSatisfying(user -> assertThat(user.name()).isEqualTo("A"));
  }

  /**
   * Changes the user's role to "other" (and its version) in a transaction of its own, starts {@code call} and,
   * once {@code call} waits for that transaction's row lock, commits it; returns the call's outcome.
   */
  private <T> CompletableFuture<T> whileAnotherWriterHoldsTheRow(String id, Supplier<T> call) throws Exception {
    try (Connection other = connect(); Connection observer = connect()) {
      other.setAutoCommit(false);
      try (PreparedStatement change = other.prepareStatement(
          "UPDATE users SET role = 'other', version = version + 1 WHERE id = ?")) {
        change.setString(1, id);
        assertThat(change.executeUpdate()).isEqualTo(1);
      }
      int holder = backendPid(other);
      CompletableFuture<T> result = CompletableFuture.supplyAsync(call);
      try (PreparedStatement blocked = observer.prepareStatement(
          "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))")) {
        blocked.setInt(1, holder);
        while (true) {
          assertThat(result).as("the call finished without waiting for the row").isNotDone();
          try (ResultSet rows = blocked.executeQuery()) {
            rows.next();
            if (rows.getInt(1) > 0) {
              break;
            }
          }
          Thread.sleep(10);
        }
      }
      other.commit();
      return result;
    }
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
  }

  /**
   * Runs {@code round} ten times, with its index; returns the round trips to PostgreSQL of each run: the Syncs
   * of the extended query protocol, which pgjdbc logs at FINEST, on the calling thread.
   */
  private static List<Integer> roundTrips(IntConsumer round) {
    List<Integer> perCall = new ArrayList<>();
    Logger protocol = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");
    Level level = protocol.getLevel();
    AtomicInteger syncs = new AtomicInteger();
    long thread = Thread.currentThread().getId();
    Handler counter = new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getLongThreadID() == thread && String.valueOf(record.getMessage()).contains("FE=> Sync")) {
          syncs.incrementAndGet();
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    protocol.setLevel(Level.FINEST);
    protocol.addHandler(counter);
    try {
      for (int i = 1; i <= 10; i++) {
        int before = syncs.get();
        round.accept(i);
        perCall.add(syncs.get() - before);
      }
    } finally {
      protocol.removeHandler(counter);
      protocol.setLevel(level);
    }
    return perCall;
  }

  /**
   * A RecordActivity that comes after a waiting DeleteUser waits behind it (issue 16). The steps, each once the
   * previous one waits: a session holds the user's head; writer 1 locks the user's row and waits for the head;
   * the delete waits for writer 1's row lock; writer 2 comes. Then the session lets the head go: writer 1
   * commits, then the delete, and writer 2 finds the user gone. With {@code FOR KEY SHARE}, writer 2 shared
   * the row with writer 1 at once and committed before the delete, as every later writer could.
   */
  @Test
  @Timeout(120)
  void recordActivity_afterAWaitingDelete_waitsBehindIt() throws Exception {
    store.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());
    ExecutorService calls = Executors.newFixedThreadPool(3);
    try (Connection head = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
        Connection observer = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
            postgres.password())) {
      head.setAutoCommit(false);
      try (Statement lock = head.createStatement()) {
        lock.executeQuery("SELECT 1 FROM activity_heads WHERE user_id = 'u1' FOR UPDATE").close();
      }
      List<Integer> waiting = new ArrayList<>(List.of(backendPid(head)));
      Future<ActivityRecord> first = calls.submit(() -> store.recordActivity("u1", "tick", "1", 2, Optional.empty()));
      awaitBlocked(observer, waiting);
      Future<?> delete = calls.submit(() -> {
        store.delete("u1", Optional.empty(), 3);
        return null;
      });
      awaitBlocked(observer, waiting);
      Future<ActivityRecord> second = calls.submit(() -> store.recordActivity("u1", "tick", "2", 4, Optional.empty()));
      awaitBlocked(observer, waiting);

      head.commit();

      assertThat(first.get(60, TimeUnit.SECONDS).sequence()).isEqualTo(2);
      delete.get(60, TimeUnit.SECONDS);
      assertThatThrownBy(() -> second.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(UserNotFoundException.class);
      assertThat(store.userActivityAfter("u1", 0, 10)).extracting(ActivityRecord::action)
          .containsExactly(ActivityRecord.USER_CREATED, "tick", ActivityRecord.USER_DELETED);
    } finally {
      calls.shutdownNow();
    }
  }

  private static int backendPid(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT pg_backend_pid()")) {
      rows.next();
      return rows.getInt(1);
    }
  }

  /**
   * Waits until one more session waits for a lock held by a session of {@code waiting} (or queued ahead of it),
   * and adds it to {@code waiting}.
   */
  private static void awaitBlocked(Connection observer, List<Integer> waiting) {
    Await.until("a session waiting behind " + waiting, () -> {
      try (PreparedStatement select = observer.prepareStatement("SELECT pid FROM pg_stat_activity"
          + " WHERE pg_blocking_pids(pid) && ?::int[] AND NOT pid = ANY (?::int[])")) {
        java.sql.Array pids = observer.createArrayOf("int4", waiting.toArray());
        select.setArray(1, pids);
        select.setArray(2, pids);
        try (ResultSet rows = select.executeQuery()) {
          if (!rows.next()) {
            return false;
          }
          waiting.add(rows.getInt(1));
          return true;
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
