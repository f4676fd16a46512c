package io.github.usergrpc.user.service.store;

/**
 * Another user has the email, compared case-insensitively. The message does not repeat the address: it may
 * end up in logs, and an email is personal data.
 */
public final class EmailAlreadyExistsException extends StoreException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public EmailAlreadyExistsException() {
    super("a user with this email already exists");
  }
}
