package io.github.usergrpc.user.server.transfer;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.github.usergrpc.user.service.store.ActivityHead;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreImport;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.server.transfer.v1.ExportRecord;
import io.github.usergrpc.user.server.transfer.v1.Header;
import io.github.usergrpc.user.server.transfer.v1.Trailer;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Reads an export file into a store, all or nothing: every record goes into one {@link StoreImport.Load},
 * which is committed only after the trailer has been read and the counts and the SHA-256 match, and
 * nothing follows it. A file that ends early, fails to parse, breaks the order of {@code store_export.proto}
 * or does not match its digest is refused with {@link InvalidExportFileException}, and the load is closed
 * (rolled back). One record in memory at a time. Not resumable: a failed import is run again from the start.
 *
 * <p>A version-1 file (one sequence for all users, no heads) gets the heads migration V4 gives such a log:
 * every user id of its users and events the header's last sequence and pruned-up-to. For that the reader
 * keeps those ids in memory (a version-2 file needs no such set).
 */
public final class ExportFileReader {

  /** The sections of the file, in order. */
  private enum Section { USERS, CREATE_REQUESTS, EVENTS, HEADS }

  private final InputStream in;
  private final MessageDigest digest = ExportFormat.sha256();
  private final byte[] prefix = new byte[5];
  private long records;

  private ExportFileReader(InputStream in) {
    this.in = in;
  }

  /**
   * Imports the export file {@code in} into {@code store}.
   *
   * @param in the file, buffered by the caller; read up to its end
   * @param store the target
   * @param replace whether to replace what the target holds (see {@link StoreImport#beginImport})
   * @return what was imported
   * @throws InvalidExportFileException if the file is not a complete, intact export file
   * @throws IOException if the file cannot be read
   * @throws io.github.usergrpc.user.service.store.ImportRefusedException if the store refuses the import
   */
  public static StoreSummary importFile(InputStream in, StoreImport store, boolean replace)
      throws IOException, InvalidExportFileException {
    requireNonNull(in, "in");
    requireNonNull(store, "store");
    return new ExportFileReader(in).importInto(store, replace);
  }

  private StoreSummary importInto(StoreImport store, boolean replace) throws IOException, InvalidExportFileException {
    Optional<ExportRecord> first = next();
    if (first.isEmpty() || !first.get().hasHeader() || !first.get().getHeader().getFormat().equals(ExportFormat.FORMAT)) {
      throw new InvalidExportFileException("not a user-server export file (no export header at its start)");
    }
    Header header = first.get().getHeader();
    boolean withHeads = header.getVersion() == ExportFormat.VERSION;
    if (!withHeads && header.getVersion() != ExportFormat.VERSION_WITHOUT_HEADS) {
      throw new InvalidExportFileException("export format version " + header.getVersion()
          + " is not one this user-server reads (" + ExportFormat.VERSION_WITHOUT_HEADS + " or "
          + ExportFormat.VERSION + "); import with the user-server version that exported it, or a newer one");
    }
    // Version 1 only: the ids that get a head derived from the header.
    NavigableSet<String> idsWithoutHeads = new TreeSet<>();
    long heads = 0;
    String previousHead = null;
    StoreSummary summary;
    try {
      summary = ExportFormat.summary(header);
    } catch (IllegalArgumentException e) {
      throw corrupt("its header is inconsistent", e);
    }
    try (StoreImport.Load load = store.beginImport(summary, replace)) {
      Section section = Section.USERS;
      ActivityRecord previous = null;
      while (true) {
        long at = records;
        Optional<ExportRecord> next = next();
        if (next.isEmpty()) {
          throw new InvalidExportFileException("the file ends after " + at + " records, before its trailer"
              + " (truncated); nothing was imported");
        }
        ExportRecord record = next.get();
        try {
          switch (record.getRecordCase()) {
            case USER -> {
              checkSection(section, Section.USERS);
              User user = ExportFormat.fromRecord(record.getUser());
              load.user(user);
              if (!withHeads) {
                idsWithoutHeads.add(user.id());
              }
            }
            case CREATE_REQUEST -> {
              section = checkSection(section, Section.CREATE_REQUESTS);
              if (record.getCreateRequest().getRequestId().isEmpty()) {
                throw new IllegalArgumentException("a CreateUser request without id");
              }
              load.createRequest(record.getCreateRequest().getRequestId(),
                  ExportFormat.fromRecord(record.getCreateRequest().getUser()));
            }
            case EVENT -> {
              section = checkSection(section, Section.EVENTS);
              ActivityRecord event = ExportFormat.fromRecord(record.getEvent());
              boolean sameUser = previous != null && previous.userId().equals(event.userId());
              // With heads, pruned-up-to is per user: each head checks its own (the store, on commit).
              if ((sameUser && event.sequence() <= previous.sequence())
                  || (!withHeads && event.sequence() <= summary.prunedUpTo())
                  || event.sequence() > summary.lastSequence()) {
                throw new IllegalArgumentException("event " + event.sequence() + " of user " + event.userId()
                    + " out of order or outside " + summary.prunedUpTo() + ".." + summary.lastSequence());
              }
              previous = event;
              String requestId = record.getEvent().getRequestId();
              load.event(event, requestId.isEmpty() ? Optional.empty() : Optional.of(requestId));
              if (!withHeads) {
                idsWithoutHeads.add(event.userId());
              }
            }
            case HEAD -> {
              if (!withHeads) {
                throw new IllegalArgumentException("a head in a version-1 file");
              }
              section = checkSection(section, Section.HEADS);
              ActivityHead head = ExportFormat.fromRecord(record.getHead());
              if (previousHead != null && head.userId().compareTo(previousHead) <= 0) {
                throw new IllegalArgumentException("head of " + head.userId() + " out of order");
              }
              if (head.lastSequence() > summary.lastSequence() || head.prunedUpTo() > summary.prunedUpTo()) {
                throw new IllegalArgumentException("head of " + head.userId() + " beyond the header's positions");
              }
              previousHead = head.userId();
              load.head(head);
              heads++;
            }
            case TRAILER -> {
              checkTrailer(record.getTrailer(), summary, withHeads ? heads : 0);
              if (in.read() != -1) {
                throw new InvalidExportFileException("the file goes on after its trailer; it is corrupt,"
                    + " nothing was imported");
              }
              for (String userId : idsWithoutHeads) {
                load.head(new ActivityHead(userId, summary.lastSequence(), summary.prunedUpTo()));
              }
              load.commit();
              return summary;
            }
            default -> throw new IllegalArgumentException("a record of no known kind");
          }
        } catch (IllegalArgumentException e) {
          throw corrupt("record " + (at + 1) + " is invalid: " + e.getMessage(), e);
        }
      }
    }
  }

  private static Section checkSection(Section current, Section of) {
    if (of.compareTo(current) < 0) {
      throw new IllegalArgumentException(of + " after " + current);
    }
    return of;
  }

  private void checkTrailer(Trailer trailer, StoreSummary summary, long heads) throws InvalidExportFileException {
    byte[] sha256 = digest.digest();
    if (!MessageDigest.isEqual(sha256, trailer.getSha256().toByteArray())) {
      throw new InvalidExportFileException("the file's SHA-256 does not match its trailer; it is corrupt,"
          + " nothing was imported");
    }
    if (!trailer.getCounts().equals(ExportFormat.counts(summary, heads))) {
      throw new InvalidExportFileException("the trailer's counts differ from the header's or from the heads"
          + " read; the file is corrupt, nothing was imported");
    }
  }

  /**
   * Reads the next record, adding its bytes to the digest unless it is the trailer (the digest covers what
   * precedes the trailer).
   *
   * @return the record, or empty at the end of the file
   */
  private Optional<ExportRecord> next() throws IOException, InvalidExportFileException {
    int firstByte = in.read();
    if (firstByte == -1) {
      return Optional.empty();
    }
    int length;
    try {
      length = CodedInputStream.readRawVarint32(firstByte, in);
    } catch (InvalidProtocolBufferException e) {
      throw corrupt("record " + (records + 1) + " has a broken length", e);
    }
    if (length < 0 || length > ExportFormat.MAX_RECORD_BYTES) {
      throw corrupt("record " + (records + 1) + " claims " + Integer.toUnsignedString(length) + " bytes", null);
    }
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new InvalidExportFileException("the file ends inside record " + (records + 1)
          + " (truncated); nothing was imported");
    }
    ExportRecord record;
    try {
      record = ExportRecord.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw corrupt("record " + (records + 1) + " does not parse", e);
    }
    records++;
    if (!record.hasTrailer()) {
      CodedOutputStream encoded = CodedOutputStream.newInstance(prefix);
      encoded.writeUInt32NoTag(length);
      encoded.flush();
      digest.update(prefix, 0, encoded.getTotalBytesWritten());
      digest.update(bytes);
    }
    return Optional.of(record);
  }

  private static InvalidExportFileException corrupt(String what, Throwable cause) {
    return new InvalidExportFileException("the file is corrupt: " + what + "; nothing was imported", cause);
  }
}
