package io.github.usergrpc.user.server.activity.jetstream;

import java.util.List;

/**
 * The outbox as the relay sees it; the JDBC store will implement it over its outbox table.
 *
 * <p>Implementations are thread-safe and throw {@code StoreUnavailableException} when the database cannot be
 * reached.
 */
public interface OutboxSource {

  /**
   * Returns the oldest rows not yet marked relayed, in id order.
   *
   * <p>For a database where ids are taken at insert but commits land in any order (PostgreSQL), "id order"
   * must be the order below the transaction horizon (see anchors-turn2 §3): a row must never appear after a
   * row with a greater id has been relayed, or per-user order in the stream breaks.
   *
   * @param max the most rows to return
   */
  List<OutboxEntry> pending(int max);

  /**
   * Marks rows relayed (deletes them, or flags them): they will not be returned by {@link #pending} again.
   *
   * @param ids rows that are in the stream
   */
  void markRelayed(List<Long> ids);
}
