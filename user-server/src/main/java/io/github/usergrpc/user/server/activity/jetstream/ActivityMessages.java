package io.github.usergrpc.user.server.activity.jetstream;

import io.github.usergrpc.user.service.store.ActivityRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The body of an activity message: a version byte ({@value #VERSION}), then the user id, action and details as
 * {@link DataOutputStream#writeUTF} strings, then the time in milliseconds since the epoch as a big-endian
 * long. The sequence is not in the body: it is the message's stream sequence.
 *
 * <p>A small fixed format rather than JSON or protobuf: the stream is this server's log, not a public
 * contract, and the version byte lets a later format be read beside this one. ({@code writeUTF} takes up to
 * 65,535 bytes; user.proto bounds the fields far below that: 64, 64 and 4,096 characters.)
 */
final class ActivityMessages {

  static final byte VERSION = 1;

  private ActivityMessages() {}

  /** Returns the body of an event (without a sequence: the stream gives it). */
  static byte[] encode(String userId, String action, String details, long occurredAtMillis) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + details.length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeUTF(userId);
      out.writeUTF(action);
      out.writeUTF(details);
      out.writeLong(occurredAtMillis);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * Returns the event a body holds, with {@code sequence}.
   *
   * @throws IllegalArgumentException if the body is not of this format
   */
  static ActivityRecord decode(byte[] body, long sequence) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
      byte version = in.readByte();
      if (version != VERSION) {
        throw new IllegalArgumentException("activity message " + sequence + " has format version " + version
            + " (expected: " + VERSION + ")");
      }
      String userId = in.readUTF();
      String action = in.readUTF();
      String details = in.readUTF();
      long millis = in.readLong();
      return new ActivityRecord(sequence, userId, action, details, millis);
    } catch (IOException e) {
      throw new IllegalArgumentException("activity message " + sequence + " is truncated or malformed", e);
    }
  }
}
