package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.ActivityEvent;

/**
 * Receives the events of a {@link UserClient#watchActivity watch}. Calls come one at a time, in sequence
 * order, on a gRPC thread: do not block in them. Across reconnects every event arrives exactly once.
 */
public interface ActivityListener {

  /**
   * Receives the next event.
   *
   * @param event the event, with its sequence
   */
  void onEvent(ActivityEvent event);

  /** The watched user was deleted (its {@code user.deleted} event came last); the watch has ended. */
  default void onCompleted() {}

  /**
   * The watch ended for good with an error that reconnecting cannot fix, such as {@link UserNotFoundException}
   * or an {@link InvalidArgumentException}. Transient failures are retried and never reach this method.
   *
   * @param error what ended the watch
   */
  default void onError(UserServiceException error) {}
}
