package io.github.usergrpc.user.service.store;

/**
 * What a store holds, counted, and where its activity log stands: what {@link StoreExport} announces before
 * the records and {@link StoreImport} checks after them.
 *
 * @param users the users that exist
 * @param createRequests the CreateUser request ids remembered, each with the user as it was created
 * @param events the retained activity events
 * @param lastSequence the greatest sequence ever handed out, 0 for none: at least the last event's, and
 *     greater when newer events were discarded. Sequences are per user: this is the greatest of the users'
 *     {@linkplain ActivityHead heads}, each of which says where its user's events continue.
 * @param prunedUpTo the greatest sequence retention discarded up to, over all users' heads; each head says
 *     which of its user's resume points are {@link ResumePointExpiredException}
 */
public record StoreSummary(long users, long createRequests, long events, long lastSequence, long prunedUpTo) {

  public StoreSummary {
    if (users < 0 || createRequests < 0 || events < 0 || lastSequence < 0 || prunedUpTo < 0) {
      throw new IllegalArgumentException("a negative count or sequence");
    }
    if (prunedUpTo > lastSequence) {
      throw new IllegalArgumentException("prunedUpTo " + prunedUpTo + " after lastSequence " + lastSequence);
    }
  }

  /** Returns the counts and positions in words, for messages to operators. */
  @Override
  public String toString() {
    return users + " users, " + createRequests + " CreateUser request ids and " + events
        + " activity events (last sequence " + lastSequence + ", pruned up to " + prunedUpTo + ")";
  }

  /** Tells whether this is the summary of a store that holds nothing and has handed out no sequence. */
  public boolean isEmpty() {
    return users == 0 && createRequests == 0 && events == 0 && lastSequence == 0 && prunedUpTo == 0;
  }
}
