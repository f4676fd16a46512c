package io.github.usergrpc.user.service.store;

/** The etag a client sent is not the user's current etag: the user changed since the client read it. */
public final class EtagMismatchException extends StoreException {

  private static final long serialVersionUID = 1L;

  private final String userId;

  /**
   * Creates the exception.
   *
   * @param userId the user whose etag did not match
   */
  public EtagMismatchException(String userId) {
    super("user " + userId + " was changed since it was read; read it again and retry with its new etag");
    this.userId = userId;
  }

  /** Returns the user whose etag did not match. */
  public String userId() {
    return userId;
  }
}
