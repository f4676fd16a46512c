package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.activity.jetstream.PostgresAdvisoryLease.ConnectionFactory;
import io.github.usergrpc.user.service.store.RemoteCommitListener;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Hears the other servers of a PostgreSQL store: LISTENs on the store's {@link ActivityChannel} and hands what
 * they notified to the store's {@link RemoteCommitListener}s.
 *
 * <p>A thread and a session of its own, outside the pool: a LISTEN belongs to its session, and PostgreSQL hands
 * notifications to a session only between its transactions, so the session stays in autocommit and runs nothing
 * else. The thread waits for notifications at most {@value #WAIT_MILLIS} ms at a time, and after
 * {@value #CHECK_MILLIS} ms without any it makes a round trip, so that a connection that died without a word
 * (a network partition) is noticed.
 *
 * <p>When the session breaks (the database restarted, the session was terminated), the thread opens a new one,
 * trying again every second at the longest. Notifications sent while no session listened are lost, so after
 * every LISTEN, the first included, the listeners hear "any user" ({@link RemoteCommitListener#onAnyCommitted}):
 * the watch feed then polls every user it follows.
 */
final class ActivityListener extends ChannelWorker {

  private static final Logger logger = Logger.getLogger(ActivityListener.class.getName());

  private static final int WAIT_MILLIS = 500;
  private static final long CHECK_MILLIS = 10_000;

  private final List<RemoteCommitListener> listeners = new CopyOnWriteArrayList<>();
  /** The thread's session while it has one: {@link #close()} aborts it, which ends a wait at once. */
  @Nullable private volatile Connection session;

  /**
   * @param channel the store's channel
   * @param sessions opens a session outside the pool ({@link StoreBootstrap#session})
   */
  ActivityListener(ActivityChannel channel, ConnectionFactory sessions) {
    super("user-store-listener", channel, sessions);
  }

  void addListener(RemoteCommitListener listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  void stopping() {
    Connection waiting = session;
    if (waiting != null) {
      try {
        // Closes the socket under a wait for notifications, which then fails at once.
        waiting.abort(Runnable::run);
      } catch (SQLException e) {
        logger.log(Level.FINE, "cannot abort the listener's session", e);
      }
    }
  }

  @Override
  void run() {
    long retryMillis = FIRST_RETRY_MILLIS;
    boolean lost = false;
    while (!closed.get()) {
      Connection opened = null;
      try {
        opened = sessions.open();
        session = opened;
        if (closed.get()) {
          break;
        }
        try (Statement listen = opened.createStatement()) {
          listen.execute("LISTEN " + channel.name());
        }
        if (lost) {
          logger.log(Level.INFO, "listening to the other servers of this store again");
          lost = false;
        }
        retryMillis = FIRST_RETRY_MILLIS;
        tell(null);
        listen(opened);
      } catch (SQLException | RuntimeException e) {
        if (closed.get()) {
          break;
        }
        if (!lost) {
          logger.log(e instanceof SQLException ? Level.WARNING : Level.SEVERE, "lost the session that listens to"
              + " the other servers of this store ({0}); their commits reach watchers here at the next poll until it"
              + " is back", e.getMessage());
          lost = true;
        }
        logger.log(Level.FINE, "LISTEN session failed", e);
        try {
          Thread.sleep(retryMillis);
        } catch (InterruptedException closing) {
          break;
        }
        retryMillis = nextRetry(retryMillis);
      } finally {
        session = null;
        StoreBootstrap.closeQuietly(opened, "the listener's session");
      }
    }
  }

  /** Hands notifications to the listeners until the session fails or the listener is closed. */
  private void listen(Connection listening) throws SQLException {
    PGConnection postgres = listening.unwrap(PGConnection.class);
    long quietSince = System.nanoTime();
    while (!closed.get()) {
      PGNotification[] notifications = postgres.getNotifications(WAIT_MILLIS);
      if (notifications != null && notifications.length > 0) {
        ActivityChannel.Wakeup wakeup = new ActivityChannel.Wakeup();
        for (PGNotification notification : notifications) {
          channel.read(notification.getParameter(), wakeup);
        }
        if (wakeup.any) {
          tell(null);
        } else if (!wakeup.userIds.isEmpty()) {
          tell(wakeup.userIds);
        }
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince > CHECK_MILLIS * 1_000_000) {
        try (Statement check = listening.createStatement()) {
          check.execute("SELECT 1");
        }
        quietSince = System.nanoTime();
      }
    }
  }

  /** Tells every listener of the users, or of "any user" when {@code userIds} is null. */
  private void tell(@Nullable Set<String> userIds) {
    Set<String> told = userIds == null ? null : Set.copyOf(userIds);
    for (RemoteCommitListener listener : listeners) {
      try {
        if (told == null) {
          listener.onAnyCommitted();
        } else {
          listener.onCommitted(told);
        }
      } catch (RuntimeException e) {
        logger.log(Level.WARNING, "a remote commit listener failed", e);
      }
    }
  }
}
