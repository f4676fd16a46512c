package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

/**
 * One row of the outbox: an event written in the same database transaction as the change it reports, not yet
 * known to be in the stream.
 *
 * @param id the row's id, unique for the database's lifetime: the message id is derived from it
 * @param userId the user the event is about
 * @param action such as {@code user.updated}
 * @param details the event's details
 * @param occurredAtMillis when it happened
 */
public record OutboxEntry(long id, String userId, String action, String details, long occurredAtMillis) {

  public OutboxEntry {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
  }
}
