package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.server.activity.jetstream.PostgresAdvisoryLease.ConnectionFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Tells the other servers of a PostgreSQL store which users this one committed activity of: a NOTIFY on the
 * store's {@link ActivityChannel}, sent after the commit, by a thread and a session of its own.
 *
 * <p>Never inside the writing transaction: a transaction that notified takes a lock for the whole database
 * cluster at its commit and holds it until the commit ends ({@code PreCommit_Notify} in PostgreSQL's
 * {@code async.c}), so writers that notify commit one at a time. Here only the notifier's own one-statement
 * transactions take it, one at a time per server.
 *
 * <p>A writer only queues its user's id ({@link #committed}) and never waits. The thread sends what gathered
 * since its previous NOTIFY in one, and starts a NOTIFY {@link #DEFAULT_MIN_SPACING} after the previous one at
 * the earliest: on an idle server a commit is sent at once; under load, the commits of each interval go
 * together, so a busy server sends at most 500 NOTIFYs a second, each of which wakes every listening session and
 * server. Ids that do not fit in one payload, or a full queue,
 * become "any user". While the database cannot be reached, the thread keeps what it has and tries again, every
 * second at the longest; the other servers find the commits at their next poll meanwhile.
 *
 * <p>The session commits without waiting for its commit record to reach the disk ({@code synchronous_commit}
 * off): a NOTIFY's transaction has an xid, so with the default it would wait for a second WAL flush after the
 * writer's own, on the path of every cross-server event (a flush on these machines' disk: p50 0.2 ms, p99 4.6 ms,
 * p99.9 14 ms). Its notification is delivered at commit either way; what a crash could lose is only a wake-up,
 * and the table stays the truth (the other servers' next poll).
 */
final class ActivityNotifier extends ChannelWorker {

  private static final Logger logger = Logger.getLogger(ActivityNotifier.class.getName());

  /** How many ids may wait; past it the next NOTIFY says "any user". */
  private static final int QUEUE_CAPACITY = 10_000;

  /** The least time from the start of one NOTIFY to the start of the next. */
  static final Duration DEFAULT_MIN_SPACING = Duration.ofMillis(2);

  private final BlockingQueue<String> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
  private final AtomicBoolean overflowed = new AtomicBoolean();
  private final long minSpacingNanos;
  /** The thread's session; opened when there is something to send. */
  @Nullable private Connection session;

  /**
   * @param channel the store's channel
   * @param sessions opens a session outside the pool ({@link StoreBootstrap#session})
   */
  ActivityNotifier(ActivityChannel channel, ConnectionFactory sessions) {
    this(channel, sessions, DEFAULT_MIN_SPACING);
  }

  /** As above, with NOTIFYs started at least {@code minSpacing} apart. */
  ActivityNotifier(ActivityChannel channel, ConnectionFactory sessions, Duration minSpacing) {
    super("user-store-notifier", channel, sessions);
    this.minSpacingNanos = minSpacing.toNanos();
  }

  /** Queues a wake-up for {@code userId}, whose event has just been committed; never blocks. */
  void committed(String userId) {
    if (!queue.offer(userId)) {
      overflowed.set(true);
    }
  }

  /** Sends until closed; then, once, what is still queued, so that the other servers need not wait for their poll. */
  @Override
  void run() {
    Set<String> batch = new LinkedHashSet<>();
    boolean any = false;
    long retryMillis = FIRST_RETRY_MILLIS;
    boolean failing = false;
    long sentAt = System.nanoTime() - minSpacingNanos;
    try {
      while (!closed.get()) {
        if (batch.isEmpty() && !any) {
          batch.add(queue.take());
        }
        long early = sentAt + minSpacingNanos - System.nanoTime();
        if (early > 0) {
          TimeUnit.NANOSECONDS.sleep(early);
        }
        queue.drainTo(batch);
        any |= overflowed.getAndSet(false) || batch.size() > QUEUE_CAPACITY;
        if (any) {
          batch.clear(); // "any user" says it all
        }
        try {
          sentAt = System.nanoTime();
          send(any ? channel.anyPayload() : channel.payload(batch));
        } catch (SQLException e) {
          if (!failing) {
            logger.log(Level.WARNING, "cannot notify the other servers of this store of its commits ({0});"
                + " they find them by polling until it can again", e.getMessage());
            failing = true;
          }
          logger.log(Level.FINE, "NOTIFY failed", e);
          Thread.sleep(retryMillis);
          retryMillis = nextRetry(retryMillis);
          continue;
        }
        if (failing) {
          logger.log(Level.INFO, "notifying the other servers of this store of its commits again");
          failing = false;
        }
        batch.clear();
        any = false;
        retryMillis = FIRST_RETRY_MILLIS;
      }
    } catch (InterruptedException closing) {
      queue.drainTo(batch);
      if (!batch.isEmpty() || any) {
        try {
          send(any ? channel.anyPayload() : channel.payload(batch));
        } catch (SQLException e) {
          logger.log(Level.FINE, "last NOTIFY failed", e);
        }
      }
    } finally {
      closeSession();
    }
  }

  /** Sends one NOTIFY; drops the session when it fails, so the next try opens a new one. */
  private void send(String payload) throws SQLException {
    try {
      if (session == null) {
        session = sessions.open();
        try (Statement set = session.createStatement()) {
          set.execute("SET synchronous_commit TO off");
        }
      }
      // pg_notify rather than NOTIFY: it takes the channel and payload as parameters.
      try (PreparedStatement notify = session.prepareStatement("SELECT pg_notify(?, ?)")) {
        notify.setString(1, channel.name());
        notify.setString(2, payload);
        notify.execute();
      }
    } catch (SQLException e) {
      closeSession();
      throw e;
    }
  }

  private void closeSession() {
    StoreBootstrap.closeQuietly(session, "the notifier's session");
    session = null;
  }
}
