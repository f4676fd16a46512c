package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The notifier on a real PostgreSQL: what it sends, and how its session commits. */
class ActivityNotifierTest {

  private static final byte[] SECRET = new byte[32];

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @Test
  @Timeout(60)
  void committedUser_isNotified_fromASessionThatDoesNotWaitForTheDisk() throws Exception {
    List<Connection> opened = new ArrayList<>();
    ActivityChannel channel = ActivityChannel.of(SECRET);
    try (Connection listening = session("listening");
        ActivityNotifier notifier = new ActivityNotifier(channel, () -> {
          Connection session = session("notifier");
          synchronized (opened) {
            opened.add(session);
          }
          return session;
        })) {
      try (Statement listen = listening.createStatement()) {
        listen.execute("LISTEN " + channel.name());
      }
      notifier.start();

      notifier.committed("u1");

      ActivityChannel receiver = ActivityChannel.of(SECRET); // another server's: the sender skips its own
      ActivityChannel.Wakeup wakeup = new ActivityChannel.Wakeup();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (wakeup.userIds.isEmpty() && System.nanoTime() < deadline) {
        PGNotification[] received = listening.unwrap(PGConnection.class).getNotifications(1_000);
        for (PGNotification notification : received == null ? new PGNotification[0] : received) {
          receiver.read(notification.getParameter(), wakeup);
        }
      }
      assertThat(wakeup.userIds).containsExactly("u1");
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

  private Connection session(String name) throws SQLException {
    return StoreBootstrap.session(postgres.jdbcUrl(), postgres.settings(), "ActivityNotifierTest " + name);
  }
}
