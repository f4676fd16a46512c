package io.github.usergrpc.user.service.store;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A user as stored: immutable. {@code version} starts at 1 and grows by one with every change; the
 * {@link #etag()} is derived from it.
 *
 * @param id the server-generated id
 * @param email the email address, case preserved
 * @param name the display name
 * @param role the role, never empty
 * @param createdAtMillis creation time, milliseconds since the epoch
 * @param updatedAtMillis time of the last change, milliseconds since the epoch
 * @param version the change counter, 1 for a new user
 */
public record User(String id, String email, String name, String role, long createdAtMillis,
    long updatedAtMillis, long version) {

  public User {
    requireNonNull(id, "id");
    requireNonNull(email, "email");
    requireNonNull(name, "name");
    requireNonNull(role, "role");
    if (version < 1) {
      throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
    }
  }

  /**
   * Returns the key under which the email is unique: emails compare case-insensitively.
   *
   * @param email an email address
   * @return the lower-cased address
   */
  public static String emailKey(String email) {
    return email.toLowerCase(Locale.ROOT);
  }

  /** Returns {@link #emailKey(String)} of this user's email. */
  public String emailKey() {
    return emailKey(email);
  }

  /**
   * Returns the entity tag of this version of the user (AIP-154): a quoted, opaque string that changes
   * with every change of the user.
   */
  public String etag() {
    MessageDigest digest = Sha256.newDigest();
    digest.update(id.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) '\n');
    byte[] hash = digest.digest(Long.toString(version).getBytes(StandardCharsets.US_ASCII));
    return '"' + HexFormat.of().formatHex(hash, 0, 8) + '"';
  }

  /**
   * A fresh SHA-256 digest per etag, cloned from one made at class load: {@code MessageDigest.getInstance}
   * looks the algorithm up among the security providers every time, which cost more than the hash itself.
   */
  private static final class Sha256 {
    private static final MessageDigest PROTOTYPE;

    static {
      try {
        PROTOTYPE = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError("every JDK has SHA-256", e);
      }
    }

    static MessageDigest newDigest() {
      try {
        return (MessageDigest) PROTOTYPE.clone();
      } catch (CloneNotSupportedException e) {
        // The JDK's own SHA-256 is cloneable; a provider's that is not is looked up every time instead.
        try {
          return MessageDigest.getInstance(PROTOTYPE.getAlgorithm(), PROTOTYPE.getProvider());
        } catch (NoSuchAlgorithmException impossible) {
          throw new AssertionError("the provider gave SHA-256 once", impossible);
        }
      }
    }
  }
}
