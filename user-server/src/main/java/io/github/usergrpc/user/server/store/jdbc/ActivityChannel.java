package io.github.usergrpc.user.server.store.jdbc;

import io.github.usergrpc.user.server.activity.jetstream.SecretDigest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The PostgreSQL channel on which the servers of one store wake each other after they commit activity
 * (LISTEN/NOTIFY), and the format of its payloads: the one place that defines both, for {@link ActivityNotifier}
 * and {@link ActivityListener}.
 *
 * <p>The name is {@value #NAME_PREFIX} and 16 hex digits from the store's secret: every server of the store
 * uses it, and a store in another schema of the same database (PostgreSQL's channels are per database) uses
 * another, so stores never wake each other.
 *
 * <p>A payload is the sender's origin, random per store instance (a server skips its own wake-ups: its commit
 * listeners have seen those commits), then the user ids, each on a line of its own; or the origin and
 * {@value #ANY} for "any user", when the ids would not fit in PostgreSQL's limit (a payload of 8000 bytes or
 * more is refused) or one holds a line break.
 */
final class ActivityChannel {

  /** The start of every channel's name. */
  static final String NAME_PREFIX = "user_activity_";
  /** The longest payload PostgreSQL accepts, in bytes: 8000 fails with "payload string too long". */
  static final int MAX_PAYLOAD_BYTES = 7999;

  private static final String ANY = "*";
  private static final char SEPARATOR = '\n';
  private static final int ORIGIN_BYTES = 6;

  private final String name;
  private final String origin;

  private ActivityChannel(String name, String origin) {
    this.name = name;
    this.origin = origin;
  }

  /** Returns the channel of the store with this secret, with a new origin for this store instance. */
  static ActivityChannel of(byte[] storeSecret) {
    byte[] digest = SecretDigest.of("user-grpc activity notifications", storeSecret);
    byte[] origin = new byte[ORIGIN_BYTES];
    new SecureRandom().nextBytes(origin);
    return new ActivityChannel(NAME_PREFIX + HexFormat.of().formatHex(digest, 0, 8), HexFormat.of().formatHex(origin));
  }

  /** Returns the channel's name: lower-case letters, digits and underscores, a plain SQL identifier. */
  String name() {
    return name;
  }

  /** Returns the payload that names {@code userIds}, or "any user" when they do not fit in one. */
  String payload(Collection<String> userIds) {
    StringBuilder payload = new StringBuilder(origin);
    int bytes = origin.length();
    for (String userId : userIds) {
      bytes += 1 + userId.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_PAYLOAD_BYTES || userId.indexOf(SEPARATOR) >= 0) {
        return anyPayload();
      }
      payload.append(SEPARATOR).append(userId);
    }
    return payload.toString();
  }

  /** Returns the payload that means "any user may have new events". */
  String anyPayload() {
    return origin + SEPARATOR + ANY;
  }

  /**
   * Adds what a received payload says to {@code wakeup}; skips this instance's own. A payload that is not of
   * this format counts as "any user": a wake-up too many costs one poll, one too few a poll interval.
   */
  void read(String payload, Wakeup wakeup) {
    List<String> lines = List.of(payload.split(String.valueOf(SEPARATOR), -1));
    if (lines.get(0).equals(origin)) {
      return;
    }
    if (lines.size() < 2 || lines.contains(ANY)) {
      wakeup.any = true;
      return;
    }
    wakeup.userIds.addAll(lines.subList(1, lines.size()));
  }

  /** What the payloads received at once say: which users have new events, or that any may have. */
  static final class Wakeup {
    final Set<String> userIds = new LinkedHashSet<>();
    boolean any;
  }
}
