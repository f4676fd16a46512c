package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The fields an update sets; an empty optional leaves the field as it is.
 *
 * @param email the new email, if it changes
 * @param name the new name, if it changes
 * @param role the new role (never empty), if it changes
 */
public record UserChanges(Optional<String> email, Optional<String> name, Optional<String> role) {

  public UserChanges {
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    requireNonNull(role, "role");
  }

  /**
   * Returns the user with these changes applied, or the same instance when nothing differs. A changed user
   * gets the next version and {@code nowMillis} as its update time.
   *
   * @param current the user as stored
   * @param nowMillis the time of the change
   * @return the changed user, or {@code current} itself
   */
  public User applyTo(User current, long nowMillis) {
    String newEmail = email.orElse(current.email());
    String newName = name.orElse(current.name());
    String newRole = role.orElse(current.role());
    if (newEmail.equals(current.email()) && newName.equals(current.name()) && newRole.equals(current.role())) {
      return current;
    }
    return new User(current.id(), newEmail, newName, newRole, current.createdAtMillis(),
        Math.max(nowMillis, current.updatedAtMillis()), current.version() + 1);
  }

  /**
   * Returns the names of the fields that differ between two versions of a user, in the order of the
   * UserResponse fields, comma-separated: the {@code details} of a {@code user.updated} event.
   *
   * @param before the user before the change
   * @param after the user after the change
   * @return for example {@code "name,role"}; empty when nothing differs
   */
  public static String changedFields(User before, User after) {
    List<String> fields = new ArrayList<>(3);
    if (!before.email().equals(after.email())) {
      fields.add("email");
    }
    if (!before.name().equals(after.name())) {
      fields.add("name");
    }
    if (!before.role().equals(after.role())) {
      fields.add("role");
    }
    return String.join(",", fields);
  }
}
