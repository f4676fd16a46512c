package io.github.usergrpc.user.server.activity.jetstream;

/**
 * Who may relay: one relay at a time across every server on one database. A relay asks before each pass; an
 * answer may turn to false at any time (its database session died), and then another relay may start. Two
 * relays overlapping for a moment publish some rows twice, which the stream's de-duplication absorbs.
 */
public interface RelayLease extends AutoCloseable {

  /**
   * Takes the lease if it is free, or confirms this relay still holds it.
   *
   * @return whether this relay holds the lease now
   */
  boolean tryAcquire();

  /** Gives the lease up, so that another relay takes over at once. Idempotent. */
  @Override
  void close();

  /** Returns a lease that is always held: for an embedded database (H2, SQLite), which one process owns. */
  static RelayLease singleProcess() {
    return new RelayLease() {
      @Override
      public boolean tryAcquire() {
        return true;
      }

      @Override
      public void close() {}
    };
  }
}
