package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

/**
 * A position in the newest-first order of users (created_at descending, then id descending): the last
 * user of a page. The next page starts strictly after it, which keeps keyset pages stable while users
 * are created.
 *
 * @param createdAtMillis creation time of the last user of the previous page
 * @param id id of that user
 */
public record PageCursor(long createdAtMillis, String id) {

  public PageCursor {
    requireNonNull(id, "id");
  }

  /** Returns the cursor just after {@code user}. */
  public static PageCursor after(User user) {
    return new PageCursor(user.createdAtMillis(), user.id());
  }

  /**
   * Tells whether {@code user} comes after this position in newest-first order.
   *
   * @param user a user
   * @return true when the user belongs to a page that starts after this cursor
   */
  public boolean precedes(User user) {
    return user.createdAtMillis() < createdAtMillis
        || (user.createdAtMillis() == createdAtMillis && user.id().compareTo(id) < 0);
  }
}
