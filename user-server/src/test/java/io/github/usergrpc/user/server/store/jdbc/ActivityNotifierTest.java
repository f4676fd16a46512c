package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The notifier on a real PostgreSQL: what it sends, when, and how its session commits. */
class ActivityNotifierTest {

  private static final byte[] SECRET = new byte[32];

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Test
  @Timeout(60)
  void committedUser_isNotified_fromASessionThatDoesNotWaitForTheDisk() throws Exception {
    List<Connection> opened = new ArrayList<>();
    ActivityChannel channel = ActivityChannel.of(SECRET);
    try (Connection listening = listen(channel);
        ActivityNotifier notifier = new ActivityNotifier(channel, () -> {
          Connection session = session("notifier");
          synchronized (opened) {
            opened.add(session);
          }
          return session;
        })) {
      notifier.start();

      notifier.committed("u1");

      assertThat(nextNotification(listening)).containsExactly("u1");
      Connection notifying;
      synchronized (opened) {
        assertThat(opened).hasSize(1);
        notifying = opened.get(0);
      }
      // A second WAL flush on the way of every cross-server event would buy nothing: the table is the truth.
      try (Statement show = notifying.createStatement();
          ResultSet setting = show.executeQuery("SHOW synchronous_commit")) {
        assertThat(setting.next()).isTrue();
        assertThat(setting.getString(1)).isEqualTo("off");
      }
    }
  }

  @Test
  @Timeout(60)
  void commitsSoonAfterANotify_waitForTheSpacing_andGoTogetherInTheNext() throws Exception {
    ActivityChannel channel = ActivityChannel.of(SECRET);
    // Spaced far wider than the default, so that this thread surely queues both ids before the next NOTIFY.
    Duration spacing = Duration.ofSeconds(5);
    try (Connection listening = listen(channel);
        ActivityNotifier notifier = new ActivityNotifier(channel, () -> session("notifier"), spacing)) {
      notifier.start();
      notifier.committed("first");
      assertThat(nextNotification(listening)).containsExactly("first");
      long firstReceived = System.nanoTime();

      notifier.committed("second");
      notifier.committed("third");

      assertThat(nextNotification(listening)).containsExactly("second", "third");
      // At least the spacing after the first NOTIFY started, which was before it was received (by far less than
      // half the spacing, unless the machine stalled for seconds).
      assertThat(Duration.ofNanos(System.nanoTime() - firstReceived)).isGreaterThan(spacing.dividedBy(2));
    }
  }

  private Connection listen(ActivityChannel channel) throws SQLException {
    Connection listening = session("listening");
    try (Statement listen = listening.createStatement()) {
      listen.execute("LISTEN " + channel.name());
    }
    return listening;
  }

  /** Waits for one notification (at most 30 s) and returns the users it names. */
  private static List<String> nextNotification(Connection listening) throws SQLException {
    ActivityChannel receiver = ActivityChannel.of(SECRET); // another server's: the sender skips its own
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      PGNotification[] received = listening.unwrap(PGConnection.class).getNotifications(1_000);
      if (received != null && received.length > 0) {
        assertThat(received).hasSize(1);
        ActivityChannel.Wakeup wakeup = new ActivityChannel.Wakeup();
        receiver.read(received[0].getParameter(), wakeup);
        assertThat(wakeup.any).isFalse();
        return List.copyOf(wakeup.userIds);
      }
    }
    throw new AssertionError("no notification within 30 s");
  }

  private Connection session(String name) throws SQLException {
    return StoreBootstrap.session(postgres.jdbcUrl(), postgres.settings(), "ActivityNotifierTest " + name);
  }
}
