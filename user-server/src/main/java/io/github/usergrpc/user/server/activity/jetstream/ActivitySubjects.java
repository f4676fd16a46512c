package io.github.usergrpc.user.server.activity.jetstream;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The subject of a user's events: {@code <prefix>.<token>}, where the token is the user id's UTF-8 bytes in
 * base64url without padding.
 *
 * <p>Why encode: a user id is up to 64 arbitrary characters, and a NATS subject token must not contain
 * {@code .} (the token separator), {@code *} or {@code >} (wildcards), whitespace or control characters, so a
 * raw id such as {@code "a.b"} or {@code ">"} would name other subjects or none. base64url uses only
 * {@code A-Z a-z 0-9 - _}, is reversible (so an event's subject says whose it is), one-to-one (two ids never
 * share a subject) and 4/3 of the bytes (hex would double them: at most 256 bytes of UTF-8 become 342
 * characters, hex 512). NATS subjects are case-sensitive, so base64's mixed case is safe.
 */
final class ActivitySubjects {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final String prefix;

  ActivitySubjects(String prefix) {
    this.prefix = prefix;
  }

  /** Returns the subject of {@code userId}'s events. */
  String of(String userId) {
    if (userId.isEmpty()) {
      throw new IllegalArgumentException("userId is empty");
    }
    return prefix + "." + ENCODER.encodeToString(userId.getBytes(StandardCharsets.UTF_8));
  }

  /** Returns the subjects the stream takes: every user's. */
  String all() {
    return prefix + ".>";
  }

  /** Returns the user id a subject of {@link #of} names. */
  String userId(String subject) {
    if (!subject.startsWith(prefix + ".")) {
      throw new IllegalArgumentException("not an activity subject: " + subject);
    }
    return new String(DECODER.decode(subject.substring(prefix.length() + 1)), StandardCharsets.UTF_8);
  }
}
