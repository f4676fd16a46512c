package io.github.usergrpc.user.service.store;

import java.util.Optional;

/**
 * Receives a store's contents record by record, in the order {@link StoreExport} gives them: every user by
 * id, then every remembered CreateUser request id by request id, then every retained event by user id and
 * sequence, then every user's activity head by user id.
 * Implementations may throw {@link java.io.UncheckedIOException} when they cannot write a record; the
 * export then stops.
 */
public interface ContentsSink {

  /**
   * Receives a user as stored: id, timestamps and version (so its etag) as they are.
   *
   * @param user the user
   */
  void user(User user);

  /**
   * Receives a CreateUser request id with the user as that call created it (version 1), which may have
   * changed or been deleted since.
   *
   * @param requestId the request id
   * @param asCreated the user as created
   */
  void createRequest(String requestId, User asCreated);

  /**
   * Receives an event of the activity log with its sequence.
   *
   * @param event the event; its user may have been deleted since
   * @param requestId the RecordActivity request id it was recorded with, if any
   */
  void event(ActivityRecord event, Optional<String> requestId);

  /**
   * Receives a user's activity head: where its sequence stands and what retention discarded of its events;
   * also for a user deleted since.
   *
   * @param head the head
   */
  void head(ActivityHead head);
}
