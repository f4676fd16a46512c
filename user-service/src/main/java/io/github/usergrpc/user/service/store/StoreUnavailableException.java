package io.github.usergrpc.user.service.store;

/**
 * The store cannot be reached (database down, connection pool exhausted). Transient: an idempotent call may
 * be retried. The cause is kept for the server log only.
 */
public final class StoreUnavailableException extends StoreException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param cause what failed, for the server log
   */
  public StoreUnavailableException(Throwable cause) {
    super("the user store is unavailable", cause);
  }
}
