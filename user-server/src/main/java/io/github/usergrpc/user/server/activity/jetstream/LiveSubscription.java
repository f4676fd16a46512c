package io.github.usergrpc.user.server.activity.jetstream;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.LiveActivity;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * One user's events after a sequence, handed to a {@link LiveActivity.Listener} as JetStream delivers them:
 * an ordered consumer filtered to the user's subject, whose messages arrive on the log's one dispatcher thread
 * ({@link JetStreamActivityLog#subscribe} opens it). Nothing waits for the listener, which must not block.
 *
 * <p>Recovery is its own, as {@link ActivityReader}'s: when the log resets it (the connection came back, or
 * the server's heartbeats for its consumer stopped), {@link #reopen} replaces the consumer with one that
 * starts after the last sequence delivered, checked for expiry. While NATS cannot be reached, the log calls
 * {@link #reopen} again later. If events not yet delivered were discarded meanwhile, the listener is told
 * ({@link LiveActivity.Listener#onExpired}) and the subscription ends.
 *
 * <p>Thread-safe. The listener is called under this subscription's delivery lock, so never concurrently.
 */
final class LiveSubscription implements LiveActivity.Subscription {

  private static final Logger LOG = Logger.getLogger(JetStreamActivityLog.class.getName());

  /** Opens a consumer of the user's events after a sequence that hands its messages to a handler. */
  @FunctionalInterface
  interface Opener {
    /**
     * Opens a consumer of the user's events after {@code afterSequence}.
     *
     * @param checkExpiry whether to fail with {@link ResumePointExpiredException} when events after
     *     {@code afterSequence} were discarded
     */
    MessageConsumer open(long afterSequence, boolean checkExpiry, MessageHandler handler);
  }

  private final String userId;
  private final Opener opener;
  private final LiveActivity.Listener listener;
  private final Consumer<LiveSubscription> onClose;
  private final MessageHandler handler = this::onMessage;
  private final Object delivery = new Object();
  @GuardedBy("delivery")
  private long lastDelivered;
  @GuardedBy("this")
  @Nullable
  private MessageConsumer consumer;
  private volatile boolean closed;

  LiveSubscription(String userId, long afterSequence, Opener opener, LiveActivity.Listener listener,
      Consumer<LiveSubscription> onClose) {
    this.userId = userId;
    this.lastDelivered = afterSequence;
    this.opener = opener;
    this.listener = listener;
    this.onClose = onClose;
  }

  /**
   * Opens the first consumer: no expiry check, since {@code afterSequence} was just read as the user's head.
   *
   * @throws StoreUnavailableException if NATS cannot be reached
   */
  void start() {
    long after;
    synchronized (delivery) {
      after = lastDelivered;
    }
    install(opener.open(after, false, handler));
  }

  /**
   * Replaces the consumer with one that starts after the last event delivered. Runs on the log's recovery
   * thread, never on NATS' threads.
   *
   * @return false if NATS cannot be reached: call again later
   */
  boolean reopen() {
    if (closed) {
      return true;
    }
    stopConsumer();
    long after;
    synchronized (delivery) {
      after = lastDelivered;
    }
    try {
      install(opener.open(after, after > 0, handler));
      return true;
    } catch (StoreUnavailableException e) {
      return false;
    } catch (ResumePointExpiredException e) {
      synchronized (delivery) {
        if (!closed) {
          closed = true;
          listener.onExpired(e);
        }
      }
      close();
      return true;
    }
  }

  /** Returns whether the current consumer has this name (the one whose heartbeats stopped). */
  synchronized boolean consumes(@Nullable String consumerName) {
    return consumer != null && consumerName != null && consumerName.equals(consumer.getConsumerName());
  }

  /** Returns the user whose events this subscription delivers. */
  String userId() {
    return userId;
  }

  private void install(MessageConsumer opened) {
    synchronized (this) {
      if (!closed) {
        consumer = opened;
        return;
      }
    }
    stop(opened); // closed while it was being opened
  }

  /** Takes a message from the dispatcher thread: hands it on unless it was delivered before. */
  private void onMessage(Message message) {
    long sequence = message.metaData().streamSequence();
    synchronized (delivery) {
      // A replaced consumer repeats what its predecessor delivered last, and a reset one may too.
      if (closed || sequence <= lastDelivered) {
        return;
      }
      lastDelivered = sequence;
      ActivityRecord event;
      try {
        event = ActivityMessages.decode(message.getData(), sequence);
      } catch (IllegalArgumentException e) {
        LOG.log(Level.SEVERE, "activity stream: skipping a message that is not an activity event", e);
        return;
      }
      listener.onEvent(event);
    }
  }

  /** Stops delivery. Idempotent; safe on any thread, the listener's included. */
  @Override
  public void close() {
    closed = true;
    stopConsumer();
    onClose.accept(this);
  }

  private void stopConsumer() {
    MessageConsumer current;
    synchronized (this) {
      current = consumer;
      consumer = null;
    }
    if (current != null) {
      stop(current);
    }
  }

  private static void stop(MessageConsumer consumer) {
    try {
      consumer.close();
    } catch (Exception e) {
      // Closing unsubscribes; with the connection gone there is nothing left to release.
    }
  }
}
