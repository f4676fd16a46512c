package io.github.usergrpc.user.service.store;

/**
 * An activity log that hands each user's new events to subscribers as it stores them, whichever server wrote
 * them: what a store offers through {@link UserStore#liveActivity()} when its log lives outside the database
 * (user-server's JetStream activity log). A server's watch feed then subscribes once per watched user instead
 * of polling the store for the commits of other servers.
 *
 * <p>Implementations are thread-safe.
 */
public interface LiveActivity {

  /**
   * Starts handing {@code userId}'s events with a sequence greater than {@code afterSequence} to
   * {@code listener}, in sequence order, each once, until the subscription is closed. While the log cannot be
   * reached, delivery pauses, and it resumes by itself after the last event delivered.
   *
   * @param userId the user
   * @param afterSequence the user's head ({@link UserStore#lastSequence(String)}) or an event's sequence
   * @param listener receives the events
   * @return the subscription; closing it stops delivery
   * @throws StoreUnavailableException if the log cannot be reached now
   */
  Subscription subscribe(String userId, long afterSequence, Listener listener);

  /**
   * Receives one user's events. Its methods are called by one thread at a time, must return quickly and must
   * not block.
   */
  interface Listener {

    /**
     * Takes the next event.
     *
     * @param event an event with a greater sequence than every one delivered before
     */
    void onEvent(ActivityRecord event);

    /**
     * Delivery cannot continue without a gap: while it was paused, events not yet delivered were discarded
     * by the log's retention. Nothing is delivered after this call.
     *
     * @param expired the error a watch of the user ends with
     */
    void onExpired(ResumePointExpiredException expired);
  }

  /** One subscription; closing it stops delivery. */
  interface Subscription extends AutoCloseable {

    /** Stops delivery, also from another thread than the listener's. Idempotent. */
    @Override
    void close();
  }
}
