package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

/**
 * A user to create. The service chooses the id and the time, so that a store never needs a clock.
 *
 * @param id the new, unique id
 * @param email the email address
 * @param name the display name
 * @param role the role, never empty
 * @param createdAtMillis creation time, milliseconds since the epoch
 */
public record NewUser(String id, String email, String name, String role, long createdAtMillis) {

  public NewUser {
    requireNonNull(id, "id");
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    requireNonNull(role, "role");
  }

  /** Returns the stored form of this user: version 1, updated when created. */
  public User toUser() {
    return new User(id, email, name, role, createdAtMillis, createdAtMillis, 1);
  }

  /**
   * Tells whether a create with the same request id asked for the same values, so that it may be
   * answered with the user created then (AIP-155).
   *
   * @param created the user created by the first request
   * @return true when email (case-insensitively), name and role match
   */
  public boolean sameRequestAs(User created) {
    return User.emailKey(email).equals(created.emailKey()) && name.equals(created.name())
        && role.equals(created.role());
  }
}
