package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

/**
 * One event of the activity log, as stored.
 *
 * @param sequence position among the events of its user: unique among them and increasing in commit order;
 *     not comparable with other users' sequences
 * @param userId the user the event is about
 * @param action what happened, such as {@code user.updated} or {@code page_view}
 * @param details free-form detail
 * @param occurredAtMillis when it happened, milliseconds since the epoch
 */
public record ActivityRecord(long sequence, String userId, String action, String details,
    long occurredAtMillis) {

  /** The action of the event a create appends. */
  public static final String USER_CREATED = "user.created";
  /** The action of the event an update that changes something appends. */
  public static final String USER_UPDATED = "user.updated";
  /** The action of the event a delete appends. */
  public static final String USER_DELETED = "user.deleted";
  /** The {@code details} of a {@code user.created} event: every field was set. */
  public static final String ALL_FIELDS = "email,name,role";

  public ActivityRecord {
    requireNonNull(userId, "userId");
    requireNonNull(action, "action");
    requireNonNull(details, "details");
  }
}
