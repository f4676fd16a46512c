package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.TcpProxy;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two servers on one PostgreSQL schema, activity in the database, wake each other with LISTEN/NOTIFY: an event
 * committed through one reaches a watcher on the other without waiting for a poll; a listener whose session is
 * terminated comes back by itself, and one cut off while events are committed delivers them when it is back.
 * The servers poll once an hour, so only the notifications deliver in time: with them switched off
 * ({@link JdbcSettings.Builder#setActivityNotifications}), every test here fails. (Writers on both servers,
 * watchers on both: {@code PerUserActivityOrderTest}.)
 */
class DatabaseNotifyTest {

  /** A poll interval no test outlives. */
  private static final Duration NO_POLL = Duration.ofHours(1);

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Test
  @Timeout(120)
  void eventCommittedThroughOneServer_reachesAWatcherOnAnother_withoutAPoll() throws Exception {
    try (Servers servers = new Servers(postgres.settings())) {
      String user = servers.createUser();
      ResumingWatcher watcher = servers.liveWatcherOnB(user);

      servers.a.blocking().updateUser(UpdateUserRequest.newBuilder().setId(user).setName("Ada King").build());
      long viewed = record(servers.a, user, "/profile");

      awaitUpTo(watcher, viewed);
      assertThat(watcher.events()).extracting(ActivityEvent::getAction, ActivityEvent::getDetails)
          .containsExactly(tuple("ready", ""), tuple("user.updated", "name"), tuple("page_view", "/profile"));
    }
  }

  @Test
  @Timeout(180)
  void listenerSessionTerminated_comesBack_andEventsCommittedMeanwhileArrive() throws Exception {
    try (Servers servers = new Servers(postgres.settings())) {
      String user = servers.createUser();
      ResumingWatcher watcher = servers.liveWatcherOnB(user);
      String listeners = "user-store listener " + servers.storeB.activityChannel().orElseThrow();
      Await.until("both servers' listening sessions", () -> sessions(listeners).size() == 2);

      List<Integer> terminated = terminate(listeners);
      long meanwhile = record(servers.a, user, "/while-reconnecting");
      awaitUpTo(watcher, meanwhile);
      Await.until(() -> "new listening sessions; there are " + sessions(listeners) + ", terminated " + terminated,
          () -> sessions(listeners).size() == 2 && sessions(listeners).stream().noneMatch(terminated::contains));
      long after = record(servers.a, user, "/after");

      awaitUpTo(watcher, after);
      assertThat(terminated).hasSize(2);
      assertThat(watcher.events()).extracting(ActivityEvent::getDetails)
          .containsExactly("", "/while-reconnecting", "/after");
    }
  }

  @Test
  @Timeout(180)
  void listenerCutOffWhileEventsAreCommitted_deliversThemWhenItIsBack() throws Exception {
    URI database = URI.create(postgres.jdbcUrl().substring("jdbc:".length()));
    try (TcpProxy proxy = TcpProxy.start(database.getHost(), database.getPort() < 0 ? 5432 : database.getPort());
        Servers servers = new Servers(postgres.settings().toBuilder()
            .setJdbcUrl("jdbc:postgresql://127.0.0.1:" + proxy.port() + database.getRawPath() + "?"
                + database.getRawQuery())
            .build())) {
      String user = servers.createUser();
      ResumingWatcher watcher = servers.liveWatcherOnB(user);

      proxy.down();
      // B hears no NOTIFY of this: its listening session is cut off. Only a poll when it listens again finds it.
      long missed = record(servers.a, user, "/while-cut-off");
      proxy.up();

      awaitUpTo(watcher, missed);
      assertThat(watcher.events()).extracting(ActivityEvent::getDetails).containsExactly("", "/while-cut-off");
    }
  }

  private static long record(InProcessServer server, String user, String details) {
    return server.blocking().recordActivity(RecordActivityRequest.newBuilder().setUserId(user)
        .setAction(details.isEmpty() ? "ready" : "page_view").setDetails(details).build()).getEvent().getSequence();
  }

  private static void awaitUpTo(ResumingWatcher watcher, long sequence) {
    Await.until(() -> "the watcher of " + watcher.userId + " on server " + watcher.replica + " to receive up to "
        + sequence + "; it has " + watcher.events(), () -> watcher.lastSequence() >= sequence || watcher.fatal != null);
    assertThat(watcher.fatal).as("how the watch ended").isNull();
  }

  /** Returns the backends of the sessions named {@code applicationName}. */
  private List<Integer> sessions(String applicationName) {
    return pids("SELECT pid FROM pg_stat_activity WHERE application_name = ?", applicationName);
  }

  /** Terminates the sessions named {@code applicationName}; returns their backends. */
  private List<Integer> terminate(String applicationName) {
    // In the select list, not the WHERE clause, whose conditions PostgreSQL may evaluate in any order.
    return pids("SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
        applicationName);
  }

  private List<Integer> pids(String query, String applicationName) {
    try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(),
            postgres.password());
        PreparedStatement select = connection.prepareStatement(query)) {
      select.setString(1, applicationName);
      List<Integer> pids = new ArrayList<>();
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          pids.add(rows.getInt(1));
        }
      }
      return pids;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Server A on the test's schema and server B on {@code settingsOfB} (the same schema, perhaps through a proxy),
   * each with a store of its own, polling once an hour.
   */
  private final class Servers implements AutoCloseable {
    final JdbcUserStore storeA;
    final JdbcUserStore storeB;
    final InProcessServer a;
    final InProcessServer b;

    Servers(JdbcSettings settingsOfB) throws Exception {
      storeA = JdbcUserStore.open(postgres.settings());
      storeB = JdbcUserStore.open(settingsOfB);
      a = new InProcessServer(storeA, builder -> builder.setWatchPollInterval(NO_POLL));
      b = new InProcessServer(storeB, builder -> builder.setWatchPollInterval(NO_POLL));
    }

    String createUser() {
      return a.blocking().createUser(CreateUserRequest.newBuilder()
          .setEmail("notify-" + UUID.randomUUID() + "@example.com").setName("Ada").build()).getId();
    }

    /**
     * Opens a watch of {@code user} on B and returns once B follows the user: the watch received an event
     * ({@code ready}) committed through B itself after it opened.
     */
    ResumingWatcher liveWatcherOnB(String user) {
      long start = b.blocking().recordActivity(RecordActivityRequest.newBuilder().setUserId(user)
          .setAction("login").build()).getEvent().getSequence();
      ResumingWatcher watcher = ResumingWatcher.open(user, start, 1, i -> i == 0 ? a.channel() : b.channel());
      awaitUpTo(watcher, record(b, user, ""));
      return watcher;
    }

    @Override
    public void close() throws InterruptedException {
      try {
        b.close();
        a.close();
      } finally {
        storeB.close();
        storeA.close();
      }
    }
  }
}
