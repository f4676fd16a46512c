package io.github.usergrpc.user.server.activity.jetstream;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The outbox as the relay and the JetStream store see it: the JDBC store implements it over its
 * {@code activity_outbox} table ({@code JdbcUserStore.outbox()}).
 *
 * <p>Order: a user's rows must be numbered in the order their transactions committed, so that publishing a
 * user's pending rows in id order keeps the user's events in order. (The JDBC store's mutations lock the
 * user's row before they insert into the outbox, so a user's next row gets its id only after the previous one
 * committed.) Rows of different users may commit out of id order; that is harmless, since only one user's
 * events need an order.
 *
 * <p>Implementations are thread-safe and throw {@code StoreUnavailableException} when the database cannot be
 * reached.
 */
public interface OutboxSource {

  /**
   * Returns the oldest rows not yet marked relayed, in id order.
   *
   * @param max the most rows to return
   */
  List<OutboxEntry> pending(int max);

  /**
   * Returns one user's rows not yet marked relayed, in id order.
   *
   * @param userId the user
   */
  List<OutboxEntry> pending(String userId);

  /**
   * Returns one user's rows not yet marked relayed, in id order, if the user exists; in one read, for
   * RecordActivity, which needs both.
   *
   * @param userId the user
   * @return the rows (often none), or empty if no user has the id
   */
  Optional<List<OutboxEntry>> pendingIfUserExists(String userId);

  /**
   * Registers a listener that is told, right after a change of an existing user (UpdateUser, DeleteUser)
   * commits, in the committing thread, of that user's rows pending as it committed, in id order, the change's
   * own last: what {@link #pending(String)} would return after the commit, without reading them again. The
   * change read them after it locked the user's row, so every earlier change of the user, through any server,
   * had committed and its row is among them unless it was marked relayed. A row may be marked relayed by then;
   * publishing it again stores nothing new (its message id).
   *
   * @param listener called with the rows; it must not throw
   */
  void addCommitListener(Consumer<List<OutboxEntry>> listener);

  /**
   * Marks rows relayed (deletes them): they will not be returned by {@link #pending} again. Marking a row
   * that is marked already does nothing.
   *
   * @param ids rows that are in the stream
   */
  void markRelayed(List<Long> ids);
}
