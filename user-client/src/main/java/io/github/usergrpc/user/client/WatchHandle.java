package io.github.usergrpc.user.client;

import java.util.concurrent.CompletionStage;

/** A running watch: stop it with {@link #cancel()} or {@link #close()}. Thread-safe. */
public interface WatchHandle extends AutoCloseable {

  /** Stops the watch: cancels the stream on the wire and any pending reconnect. Idempotent. */
  void cancel();

  /**
   * Completes once the server has started the stream, with the sequence it starts after: every event
   * committed from then on is delivered. Until then an event may be committed before the watch begins, so
   * a caller that writes and then expects to see its own write waits for this first. The server announces
   * the start in the {@code activity-resume-after} response header; with a server that does not, the
   * first event marks it. Completes exceptionally if the watch ends before it started (a permanent error
   * or {@link #cancel()}), and stays completed across reconnects.
   *
   * @return the stage that completes with the start position
   */
  CompletionStage<Long> started();

  /** Returns the sequence of the last event delivered, or the position the stream started after. */
  long lastSequence();

  /** Returns how many times the stream broke and was opened again. */
  int reconnects();

  /** Tells whether the watch is still running (not cancelled, completed or failed). */
  boolean isActive();

  /** Same as {@link #cancel()}. */
  @Override
  default void close() {
    cancel();
  }
}
