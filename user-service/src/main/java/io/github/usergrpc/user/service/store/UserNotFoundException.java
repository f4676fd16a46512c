package io.github.usergrpc.user.service.store;

/** No user has the id. */
public final class UserNotFoundException extends StoreException {

  private static final long serialVersionUID = 1L;

  private final String userId;

  /**
   * Creates the exception.
   *
   * @param userId the id that names no user
   */
  public UserNotFoundException(String userId) {
    super("user " + userId + " not found");
    this.userId = userId;
  }

  /** Returns the id that names no user. */
  public String userId() {
    return userId;
  }
}
