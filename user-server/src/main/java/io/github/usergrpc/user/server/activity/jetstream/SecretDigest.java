package io.github.usergrpc.user.server.activity.jetstream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Values derived from a store's secret key, which every server on one database shares and no other database
 * has: names for that database that reveal nothing of the secret (a SHA-256 of a purpose and the secret).
 * Also used by the JDBC store for the name of its LISTEN/NOTIFY channel.
 */
public final class SecretDigest {

  private SecretDigest() {}

  /**
   * Returns SHA-256 of {@code purpose} (UTF-8) followed by {@code storeSecret}.
   *
   * @param purpose what the value is for, so that values for different purposes differ
   * @param storeSecret the store's secret key ({@code UserStore.secretKey()})
   * @return the 32 bytes
   */
  public static byte[] of(String purpose, byte[] storeSecret) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    sha256.update(purpose.getBytes(StandardCharsets.UTF_8));
    return sha256.digest(storeSecret);
  }
}
