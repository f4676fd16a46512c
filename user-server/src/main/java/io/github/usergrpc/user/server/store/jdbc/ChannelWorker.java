package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.activity.jetstream.PostgresAdvisoryLease.ConnectionFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A daemon thread that works on the store's {@link ActivityChannel} with a session of its own, outside the pool:
 * what {@link ActivityNotifier} and {@link ActivityListener} share, including how they stop and how long they wait
 * before they try a broken session again.
 */
abstract class ChannelWorker implements AutoCloseable {

  /** The first wait before a failed session is tried again; it doubles up to {@link #LAST_RETRY_MILLIS}. */
  static final long FIRST_RETRY_MILLIS = 100;
  static final long LAST_RETRY_MILLIS = 1_000;

  private static final long CLOSE_WAIT_MILLIS = 2_000;

  final ActivityChannel channel;
  final ConnectionFactory sessions;
  final AtomicBoolean closed = new AtomicBoolean();
  private final Thread thread;

  /**
   * @param threadName the thread's name
   * @param channel the store's channel
   * @param sessions opens a session outside the pool ({@link StoreBootstrap#session})
   */
  ChannelWorker(String threadName, ActivityChannel channel, ConnectionFactory sessions) {
    this.channel = requireNonNull(channel, "channel");
    this.sessions = requireNonNull(sessions, "sessions");
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** The thread's work, until {@link #closed}; it is interrupted on close. */
  abstract void run();

  /** Runs in {@link #close()} before the thread is interrupted: ends a wait that interrupting does not end. */
  void stopping() {}

  /** Stops the thread, waiting for it a moment. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopping();
    thread.interrupt();
    try {
      thread.join(CLOSE_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Returns the next wait before a retry, after {@code millis}. */
  static long nextRetry(long millis) {
    return Math.min(2 * millis, LAST_RETRY_MILLIS);
  }
}
