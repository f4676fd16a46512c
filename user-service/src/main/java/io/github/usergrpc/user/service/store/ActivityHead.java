package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

/**
 * Where one user's activity log stands, as {@link StoreExport} hands it over and {@link StoreImport} takes it:
 * kept also for a user deleted since, so that an id created again continues its numbers.
 *
 * @param userId the user
 * @param lastSequence the greatest sequence given to one of the user's events; the next continues after it
 * @param prunedUpTo every event of the user up to this sequence was discarded by retention; resuming from
 *     before it is {@link ResumePointExpiredException}
 */
public record ActivityHead(String userId, long lastSequence, long prunedUpTo) {

  public ActivityHead {
    requireNonNull(userId, "userId");
    if (userId.isEmpty()) {
      throw new IllegalArgumentException("a head without user");
    }
    if (prunedUpTo < 0 || prunedUpTo > lastSequence) {
      throw new IllegalArgumentException("head of " + userId + ": pruned up to " + prunedUpTo
          + " outside 0.." + lastSequence);
    }
  }
}
