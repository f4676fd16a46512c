package io.github.usergrpc.user.testkit.example;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.client.UserNotFoundException;
import io.github.usergrpc.user.v1.UserResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * An example of a downstream team's code: it signs users up and greets them, calling the user service only
 * through {@link UserClient}. {@code WelcomeServiceTest} shows how such a team tests it with user-testkit.
 */
public final class WelcomeService {

  /** The activity recorded when a new user has been welcomed. */
  public static final String WELCOME_SENT = "welcome.sent";

  private final UserClient users;

  /**
   * Creates the service.
   *
   * @param users the client of the user service; the caller owns it
   */
  public WelcomeService(UserClient users) {
    this.users = requireNonNull(users, "users");
  }

  /**
   * Signs a user up and records that the welcome was sent. A transient failure of the user service is
   * retried by the client (the create carries a request id, so a retry never creates a second user).
   *
   * @param email the new user's email
   * @param name the new user's name
   * @return the new user; fails with the client's exception (such as {@code UserAlreadyExistsException})
   */
  public CompletableFuture<UserResponse> signUp(String email, String name) {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    return users.createUser(email, name, "")
        .thenCompose(user -> users.recordActivity(user.getId(), WELCOME_SENT, email).thenApply(event -> user));
  }

  /**
   * Returns the greeting for a user: by name when the user exists, as a guest when not.
   *
   * @param userId the user
   * @return the greeting; fails with the client's exception when the user service fails otherwise
   */
  public CompletableFuture<String> greeting(String userId) {
    requireNonNull(userId, "userId");
    return users.getUser(userId)
        .thenApply(user -> "Welcome back, " + user.getName() + "!")
        .exceptionally(failure -> {
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          if (cause instanceof UserNotFoundException) {
            return "Welcome, guest!";
          }
          throw new CompletionException(cause);
        });
  }
}
