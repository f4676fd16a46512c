package io.github.usergrpc.user.server.transfer;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import io.github.usergrpc.user.service.store.ActivityHead;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.ContentsSink;
import io.github.usergrpc.user.service.store.StoreExport;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.server.transfer.v1.CreateRequest;
import io.github.usergrpc.user.server.transfer.v1.ExportRecord;
import io.github.usergrpc.user.server.transfer.v1.Trailer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Writes an export file (see {@code store_export.proto}): the header, the records as the store hands them
 * over, then the trailer with the counts and the SHA-256 of everything before it. One record at a time, so
 * that memory does not grow with the store. Not thread-safe.
 */
public final class ExportFileWriter implements ContentsSink {

  private final OutputStream out;
  private final StoreSummary summary;
  private final MessageDigest digest = ExportFormat.sha256();
  private final byte[] prefix = new byte[5];
  private long users;
  private long createRequests;
  private long events;
  private long heads;

  private ExportFileWriter(OutputStream out, StoreSummary summary) {
    this.out = out;
    this.summary = summary;
  }

  /**
   * Exports {@code store} to {@code out}, which the caller flushes and closes.
   *
   * @return what was exported
   * @throws IOException if {@code out} cannot be written
   * @throws io.github.usergrpc.user.service.store.StoreUnavailableException if the store cannot be reached
   */
  public static StoreSummary export(StoreExport store, OutputStream out) throws IOException {
    requireNonNull(out, "out");
    ExportFileWriter[] writer = new ExportFileWriter[1];
    try {
      store.exportTo(summary -> {
        writer[0] = new ExportFileWriter(out, summary);
        writer[0].write(ExportRecord.newBuilder().setHeader(ExportFormat.header(summary)).build());
        return writer[0];
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    writer[0].finish();
    return writer[0].summary;
  }

  @Override
  public void user(User user) {
    write(ExportRecord.newBuilder().setUser(ExportFormat.toRecord(user)).build());
    users++;
  }

  @Override
  public void createRequest(String requestId, User asCreated) {
    write(ExportRecord.newBuilder().setCreateRequest(CreateRequest.newBuilder().setRequestId(requestId)
        .setUser(ExportFormat.toRecord(asCreated))).build());
    createRequests++;
  }

  @Override
  public void event(ActivityRecord event, Optional<String> requestId) {
    write(ExportRecord.newBuilder().setEvent(ExportFormat.toRecord(event, requestId.orElse(""))).build());
    events++;
  }

  @Override
  public void head(ActivityHead head) {
    write(ExportRecord.newBuilder().setHead(ExportFormat.toRecord(head)).build());
    heads++;
  }

  /** Checks that the store handed over what it announced, and writes the trailer. */
  private void finish() throws IOException {
    StoreSummary written = new StoreSummary(users, createRequests, events, summary.lastSequence(),
        summary.prunedUpTo());
    if (!written.equals(summary)) {
      throw new IllegalStateException("the store announced " + summary + " but handed over " + written);
    }
    byte[] sha256 = digest.digest();
    ExportRecord trailer = ExportRecord.newBuilder().setTrailer(Trailer.newBuilder()
        .setCounts(ExportFormat.counts(summary, heads)).setSha256(com.google.protobuf.ByteString.copyFrom(sha256))).build();
    trailer.writeDelimitedTo(out);
    out.flush();
  }

  /** Writes a record with its length prefix, and adds both to the digest. */
  private void write(ExportRecord record) {
    byte[] bytes = record.toByteArray();
    CodedOutputStream length = CodedOutputStream.newInstance(prefix);
    try {
      length.writeUInt32NoTag(bytes.length);
      length.flush();
      int prefixLength = length.getTotalBytesWritten();
      out.write(prefix, 0, prefixLength);
      out.write(bytes);
      digest.update(prefix, 0, prefixLength);
      digest.update(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
