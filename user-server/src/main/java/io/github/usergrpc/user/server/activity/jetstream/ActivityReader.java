package io.github.usergrpc.user.server.activity.jetstream;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import javax.annotation.Nullable;

/**
 * One user's events after a sequence, then live, from an ordered consumer: {@link JetStreamActivityLog#read}
 * opens it. The caller pulls with {@link #next}; the consumer holds at most {@code readerBatch} messages ahead
 * of it, so a reader's memory is bounded whatever the caller's pace.
 *
 * <p>Recovery is the reader's own: when the connection comes back, or the server's heartbeats stop (the node
 * that held the consumer died), the log marks the reader stale, and its next call replaces the consumer with
 * one that starts after the last sequence it delivered, checked for expiry like a new one. (jnats' ordered
 * consumer resets itself too, but against a restarted single node it did not deliver again; see the test.)
 * While NATS cannot be reached, {@link #next} returns nothing and tries again on the next call.
 *
 * <p>For one thread at a time, apart from {@link #markStale}. A reader whose caller lags behind the stream's
 * retention can miss events that expire before it reaches them; the watch's bounded buffer ends such
 * watchers long before.
 */
public final class ActivityReader implements AutoCloseable {

  private final LongFunction<IterableConsumer> open;
  private final Consumer<ActivityReader> onClose;
  private final long afterSequence;
  @Nullable private volatile IterableConsumer consumer;
  private long lastDelivered;
  private volatile boolean stale;
  private volatile boolean closed;

  /**
   * @param open opens a consumer of the events after a sequence, checking that none was discarded
   * @param consumer the consumer {@code open} made for {@code afterSequence}
   */
  ActivityReader(LongFunction<IterableConsumer> open, IterableConsumer consumer, long afterSequence,
      Consumer<ActivityReader> onClose) {
    this.open = open;
    this.consumer = consumer;
    this.afterSequence = afterSequence;
    this.lastDelivered = afterSequence;
    this.onClose = onClose;
  }

  /**
   * Returns the next event, waiting up to {@code wait} for one.
   *
   * @param wait how long to wait, at least 1 ms
   * @return the event, or empty when none came in time (also while NATS cannot be reached)
   * @throws ResumePointExpiredException if, while the reader recovered, events it had not yet delivered were
   *     discarded
   * @throws StoreUnavailableException if the consumer failed for good (its stream was deleted)
   * @throws InterruptedException if interrupted while waiting
   */
  public Optional<ActivityRecord> next(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!closed) {
      long remaining = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      IterableConsumer current = current(remaining);
      if (current == null) {
        return Optional.empty();
      }
      Message message;
      try {
        message = current.nextMessage(remaining);
      } catch (JetStreamStatusCheckedException e) {
        throw new StoreUnavailableException(e);
      }
      if (message != null) {
        long sequence = message.metaData().streamSequence();
        // A start beyond the stream's end is clamped by the server to its last sequence + 1, and a consumer
        // replaced during a reset may repeat one: deliver only what comes after what was asked and given.
        if (sequence > lastDelivered) {
          lastDelivered = sequence;
          return Optional.of(ActivityMessages.decode(message.getData(), sequence));
        }
      }
      if (System.nanoTime() - deadline >= 0) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Returns the consumer, replaced first if the reader is stale; null while NATS cannot be reached. */
  @Nullable
  private IterableConsumer current(long waitMillis) throws InterruptedException {
    if (stale || consumer == null) {
      stale = false;
      closeConsumer();
      try {
        consumer = open.apply(lastDelivered);
      } catch (StoreUnavailableException e) {
        stale = true;
        Thread.sleep(Math.min(waitMillis, 250));
        return null;
      }
    }
    return consumer;
  }

  /** Makes the next call replace the consumer. Thread-safe: the connection's threads call it. */
  void markStale() {
    stale = true;
  }

  /** Returns the sequence this reader started after. */
  public long afterSequence() {
    return afterSequence;
  }

  /** Stops the consumer. Idempotent. */
  @Override
  public void close() {
    closed = true;
    closeConsumer();
    onClose.accept(this);
  }

  private void closeConsumer() {
    IterableConsumer current = consumer;
    consumer = null;
    if (current == null) {
      return;
    }
    try {
      current.close();
    } catch (Exception e) {
      // Closing unsubscribes; with the connection gone there is nothing left to release.
    }
  }
}
