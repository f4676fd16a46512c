package io.github.usergrpc.user.service.store;

/**
 * A store that can take over what another store held ({@code user-server import}), keeping ids, timestamps,
 * versions (so etags), sequences and resume points, so that clients notice no difference.
 *
 * <p>All or nothing: records go into one transaction, which {@link Load#commit} commits only when the counts
 * match the summary; a load closed without a commit (a truncated or corrupt file, a failure) leaves the
 * store as it was. Run it with no server writing to the target store: its writes would be refused or
 * would wait until the import ends.
 */
public interface StoreImport {

  /**
   * Starts an import into this store.
   *
   * @param summary what the records will be, from the file's header
   * @param replace whether to replace what the store holds; without it, a store that holds anything (a
   *     user, an event, a request id, or a sequence handed out) is refused
   * @return the load to give the records to and then commit or close
   * @throws ImportRefusedException if the store is not empty and {@code replace} is false
   * @throws StoreUnavailableException if the store cannot be reached
   */
  Load beginImport(StoreSummary summary, boolean replace);

  /**
   * An import under way: receives the records in the order of {@link ContentsSink}, then is committed or
   * closed. Not thread-safe: one thread gives it records.
   */
  interface Load extends ContentsSink, AutoCloseable {

    /**
     * Checks that the records received are what the summary announced and that the store now holds exactly
     * them, and makes them visible, all at once.
     *
     * @throws ImportRefusedException if the counts differ or the records break a rule of the store (two
     *     users with one email, two events with one sequence or request id, an event after the last sequence);
     *     nothing is imported then
     */
    void commit();

    /** Discards everything received unless {@link #commit} succeeded. Idempotent. */
    @Override
    void close();
  }
}
