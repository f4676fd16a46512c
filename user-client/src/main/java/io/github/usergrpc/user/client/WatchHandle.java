package io.github.usergrpc.user.client;

/** A running watch: stop it with {@link #cancel()} or {@link #close()}. Thread-safe. */
public interface WatchHandle extends AutoCloseable {

  /** Stops the watch: cancels the stream on the wire and any pending reconnect. Idempotent. */
  void cancel();

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
