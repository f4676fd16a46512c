package io.github.usergrpc.user.server.store.jdbc;

import java.util.function.Supplier;

/**
 * The row a transaction read changed before it wrote.
 *
 * <p>Writes are guarded by the version they read as well as by the row lock: on H2, a SELECT ... FOR UPDATE
 * that waited for another writer can return the row as it was before that writer committed, so the lock
 * alone does not prevent a lost update. A write that finds the version changed ({@link #expectOneRow}) is
 * rolled back and the whole transaction runs again ({@link #retrying}), now reading the new version (and
 * failing on a stale etag).
 */
final class RowChangedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private static final int ATTEMPTS = 10;

  RowChangedException() {
    super(null, null, false, false);
  }

  /** Throws unless a guarded write changed exactly one row. */
  static void expectOneRow(int rows) {
    if (rows != 1) {
      throw new RowChangedException();
    }
  }

  /** Runs {@code transaction} again while it throws this exception, up to {@value #ATTEMPTS} times. */
  static <T> T retrying(Supplier<T> transaction) {
    for (int attempt = 1; ; attempt++) {
      try {
        return transaction.get();
      } catch (RowChangedException e) {
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException(
              "the user kept changing during " + ATTEMPTS + " attempts to write it", e);
        }
      }
    }
  }
}
