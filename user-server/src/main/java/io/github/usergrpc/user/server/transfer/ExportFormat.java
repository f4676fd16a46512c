package io.github.usergrpc.user.server.transfer;

import io.github.usergrpc.user.service.store.ActivityHead;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.server.transfer.v1.Counts;
import io.github.usergrpc.user.server.transfer.v1.Event;
import io.github.usergrpc.user.server.transfer.v1.Head;
import io.github.usergrpc.user.server.transfer.v1.Header;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The facts of the export file that its writer and its reader share, and the conversions between the
 * store's types and the records of {@code store_export.proto}.
 */
final class ExportFormat {

  /** {@code Header.format}: tells an export file from any other stream of protobuf messages. */
  static final String FORMAT = "user-grpc-store-export";
  /** The version this code writes: per-user sequences, with each user's head. */
  static final int VERSION = 2;
  /** The version before heads (one sequence for all users), which this code still reads. */
  static final int VERSION_WITHOUT_HEADS = 1;
  /** The largest record, in bytes: a user or an event is a few KiB at most (user.proto's limits). */
  static final int MAX_RECORD_BYTES = 1024 * 1024;

  private ExportFormat() {}

  static Header header(StoreSummary summary) {
    return Header.newBuilder().setFormat(FORMAT).setVersion(VERSION).setCounts(counts(summary))
        .setLastSequence(summary.lastSequence()).setPrunedUpTo(summary.prunedUpTo()).build();
  }

  static StoreSummary summary(Header header) {
    Counts counts = header.getCounts();
    return new StoreSummary(counts.getUsers(), counts.getCreateRequests(), counts.getEvents(),
        header.getLastSequence(), header.getPrunedUpTo());
  }

  static Counts counts(StoreSummary summary) {
    return Counts.newBuilder().setUsers(summary.users()).setCreateRequests(summary.createRequests())
        .setEvents(summary.events()).build();
  }

  /** The trailer's counts: the header's and the number of heads. */
  static Counts counts(StoreSummary summary, long heads) {
    return counts(summary).toBuilder().setHeads(heads).build();
  }

  static Head toRecord(ActivityHead head) {
    return Head.newBuilder().setUserId(head.userId()).setLastSequence(head.lastSequence())
        .setPrunedUpTo(head.prunedUpTo()).build();
  }

  /**
   * Returns the head of a record.
   *
   * @throws IllegalArgumentException if the record holds no valid head
   */
  static ActivityHead fromRecord(Head head) {
    return new ActivityHead(head.getUserId(), head.getLastSequence(), head.getPrunedUpTo());
  }

  static io.github.usergrpc.user.server.transfer.v1.User toRecord(User user) {
    return io.github.usergrpc.user.server.transfer.v1.User.newBuilder().setId(user.id()).setEmail(user.email())
        .setName(user.name()).setRole(user.role()).setCreatedAtMs(user.createdAtMillis())
        .setUpdatedAtMs(user.updatedAtMillis()).setVersion(user.version()).build();
  }

  /**
   * Returns the stored user of a record.
   *
   * @throws IllegalArgumentException if the record holds no valid user
   */
  static User fromRecord(io.github.usergrpc.user.server.transfer.v1.User user) {
    if (user.getId().isEmpty() || user.getRole().isEmpty()) {
      throw new IllegalArgumentException("a user without id or role");
    }
    return new User(user.getId(), user.getEmail(), user.getName(), user.getRole(), user.getCreatedAtMs(),
        user.getUpdatedAtMs(), user.getVersion());
  }

  static Event toRecord(ActivityRecord event, String requestId) {
    return Event.newBuilder().setSequence(event.sequence()).setUserId(event.userId()).setAction(event.action())
        .setDetails(event.details()).setOccurredAtMs(event.occurredAtMillis()).setRequestId(requestId).build();
  }

  static ActivityRecord fromRecord(Event event) {
    if (event.getUserId().isEmpty() || event.getSequence() < 1) {
      throw new IllegalArgumentException("an event without user or sequence");
    }
    return new ActivityRecord(event.getSequence(), event.getUserId(), event.getAction(), event.getDetails(),
        event.getOccurredAtMs());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
