package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.ImportRefusedException;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.server.transfer.ExportFileReader;
import io.github.usergrpc.user.server.transfer.ExportFileWriter;
import io.github.usergrpc.user.server.transfer.v1.ExportRecord;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving a whole store: memory to H2 and H2 to H2 (files, through the command line), each followed by
 * an export of the moved store that must be the same bytes and a real server on it that must answer as
 * before; a version-1 file (one global sequence, no heads); and the refusals: a non-empty target, a truncated
 * or corrupt file, per-user sequences into the memory store. PostgreSQL is in
 * {@link StoreTransferPostgresTest}.
 */
class StoreTransferTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @Test
  void memoryToH2_keepsEverything() throws Exception {
    InMemoryUserStore source = new InMemoryUserStore();
    MovedStoreScenario scenario = MovedStoreScenario.fill(source);
    Path first = dir.resolve("first.export");
    Path second = dir.resolve("second.export");
    try (OutputStream out = Files.newOutputStream(first)) {
      ExportFileWriter.export(source, out);
    }
    try (JdbcUserStore moved = JdbcUserStore.open(h2Memory())) {
      try (InputStream in = Files.newInputStream(first)) {
        ExportFileReader.importFile(in, moved, false);
      }
      try (OutputStream out = Files.newOutputStream(second)) {
        ExportFileWriter.export(moved, out);
      }
      assertThat(second).hasSameBinaryContentAs(first);
      scenario.checkServedBy(moved);
    }
  }

  @Test
  void h2FileToH2File_throughTheCommandLine_keepsEverything_andMemoryRefusesPerUserSequences() throws Exception {
    String store = "h2:" + dir.resolve("users");
    MovedStoreScenario scenario;
    try (JdbcUserStore source = JdbcUserStore.open(h2File("users"))) {
      scenario = MovedStoreScenario.fill(source);
    }
    Path first = dir.resolve("first.export");
    assertThat(run("export", "--store", store, "--file", first.toString())).as(printed()).isZero();
    assertThat(printed()).startsWith("user-server export: exported 4 users, 2 CreateUser request ids and ");

    printed.reset();
    assertThat(run("import", "--store", "h2:" + dir.resolve("moved"), "--file", first.toString())).as(printed())
        .isZero();
    try (JdbcUserStore moved = JdbcUserStore.open(h2File("moved"))) {
      ByteArrayOutputStream second = new ByteArrayOutputStream();
      ExportFileWriter.export(moved, second);
      assertThat(second.toByteArray()).isEqualTo(Files.readAllBytes(first));
      scenario.checkServedBy(moved);
    }

    // Every user's sequence starts at 1 on H2: the memory store, one sequence for all users, cannot hold them.
    InMemoryUserStore memory = new InMemoryUserStore();
    try (InputStream in = Files.newInputStream(first)) {
      assertThatThrownBy(() -> ExportFileReader.importFile(in, memory, false))
          .isInstanceOf(ImportRefusedException.class)
          .hasMessageContaining("the memory store numbers all users with one sequence; import this file into a"
              + " JDBC store");
    }
    assertThat(ExportFileWriter.export(memory, OutputStream.nullOutputStream()).isEmpty()).isTrue();
  }

  @Test
  void prunedEvents_stayExpiredAfterTheMove() throws Exception {
    InMemoryUserStore source = new InMemoryUserStore(3);
    source.create(new NewUser("ann", "ann@example.com", "Ann", "member", 1_000), Optional.empty());
    source.create(new NewUser("ben", "ben@example.com", "Ben", "member", 1_000), Optional.empty());
    for (int i = 0; i < 4; i++) {
      source.recordActivity("ann", "page_view", "/" + i, 2_000 + i, Optional.empty());
    }
    assertThatThrownBy(() -> source.userActivityAfter("ann", 0, 10)).isInstanceOf(ResumePointExpiredException.class);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    ExportFileWriter.export(source, first);

    try (JdbcUserStore moved = JdbcUserStore.open(h2Memory())) {
      ExportFileReader.importFile(new java.io.ByteArrayInputStream(first.toByteArray()), moved, false);

      assertThatThrownBy(() -> moved.userActivityAfter("ann", 0, 10))
          .isInstanceOf(ResumePointExpiredException.class);
      assertThat(moved.userActivityAfter("ann", 3, 10)).extracting(event -> event.details())
          .containsExactly("/1", "/2", "/3");
      assertThat(moved.lastSequences(List.of("ann", "ben"))).isEqualTo(source.lastSequences(List.of("ann", "ben")));
      ByteArrayOutputStream second = new ByteArrayOutputStream();
      ExportFileWriter.export(moved, second);
      assertThat(second.toByteArray()).isEqualTo(first.toByteArray());
    }
  }

  @Test
  void versionOneFile_getsEveryUserAHeadAtTheFilesPositions() throws Exception {
    InMemoryUserStore source = new InMemoryUserStore();
    MovedStoreScenario.fill(source);
    ByteArrayOutputStream current = new ByteArrayOutputStream();
    ExportFileWriter.export(source, current);
    byte[] versionOne = asVersionOne(current.toByteArray());
    List<String> ids = new java.util.ArrayList<>();
    long lastSequence;
    try (InputStream in = new java.io.ByteArrayInputStream(current.toByteArray())) {
      lastSequence = ExportRecord.parseDelimitedFrom(in).getHeader().getLastSequence();
      for (ExportRecord record; (record = ExportRecord.parseDelimitedFrom(in)) != null; ) {
        if (record.hasEvent() && !ids.contains(record.getEvent().getUserId())) {
          ids.add(record.getEvent().getUserId());
        }
      }
    }

    try (JdbcUserStore moved = JdbcUserStore.open(h2Memory())) {
      ExportFileReader.importFile(new java.io.ByteArrayInputStream(versionOne), moved, false);

      // As V4 migrates a V3 log: every user (deleted ones with events included) at the old global head.
      assertThat(ids).hasSize(6);
      assertThat(moved.lastSequences(ids).values()).containsOnly(lastSequence);
      String user = ids.stream().filter(id -> moved.find(id).isPresent()).findFirst().orElseThrow();
      assertThat(moved.recordActivity(user, "page_view", "/after", 5_000, Optional.empty()).sequence())
          .isEqualTo(lastSequence + 1);
    }
  }

  /** Rewrites an export as version 1 wrote it: no heads, version 1, the digest recomputed. */
  private static byte[] asVersionOne(byte[] file) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(file);
    for (ExportRecord record; (record = ExportRecord.parseDelimitedFrom(in)) != null; ) {
      if (record.hasHead()) {
        continue;
      }
      if (record.hasHeader()) {
        record = record.toBuilder().setHeader(record.getHeader().toBuilder().setVersion(1)).build();
      }
      if (record.hasTrailer()) {
        record = record.toBuilder().setTrailer(record.getTrailer().toBuilder()
            .setCounts(record.getTrailer().getCounts().toBuilder().clearHeads())
            .setSha256(com.google.protobuf.ByteString.copyFrom(digest.digest()))).build();
        record.writeDelimitedTo(out);
        break;
      }
      ByteArrayOutputStream one = new ByteArrayOutputStream();
      record.writeDelimitedTo(one);
      digest.update(one.toByteArray());
      out.write(one.toByteArray());
    }
    return out.toByteArray();
  }

  @Test
  void importIntoNonEmptyStore_isRefused_unlessReplace() throws Exception {
    Path file = exportOfFilledMemoryStore();
    String target = "h2:" + dir.resolve("target");
    try (JdbcUserStore store = JdbcUserStore.open(h2File("target"))) {
      store.create(new NewUser("someone", "someone@example.com", "Someone", "member", 1_000), Optional.empty());
    }

    assertThat(run("import", "--store", target, "--file", file.toString())).isEqualTo(1);
    assertThat(printed().lines()).containsExactly("user-server import: the target store is not empty (1 users, last"
        + " sequence 1); import into an empty store, or replace what it holds");
    try (JdbcUserStore store = JdbcUserStore.open(h2File("target"))) {
      assertThat(store.find("someone")).isPresent();
      assertThat(store.count(Optional.empty())).isEqualTo(1);
    }

    printed.reset();
    assertThat(run("import", "--store", target, "--file", file.toString(), "--replace")).as(printed()).isZero();
    try (JdbcUserStore store = JdbcUserStore.open(h2File("target"))) {
      assertThat(store.find("someone")).isEmpty();
      assertThat(store.count(Optional.empty())).isEqualTo(4);
    }
  }

  @Test
  void truncatedOrCorruptFile_isRefusedWithOneLine_andImportsNothing() throws Exception {
    byte[] whole = Files.readAllBytes(exportOfFilledMemoryStore());
    Map<String, byte[]> broken = Map.of(
        "truncated in a record", Arrays.copyOf(whole, whole.length / 2),
        "truncated before the trailer", Arrays.copyOf(whole, whole.length - trailerLength(whole)),
        "one byte flipped", flipped(whole, whole.length / 3),
        "empty", new byte[0],
        "another file", "hello, world\n".getBytes(StandardCharsets.UTF_8));
    Map<String, String> expected = Map.of(
        "truncated in a record", "user-server import: the file ends inside record ",
        "truncated before the trailer", "user-server import: the file ends after ",
        "one byte flipped", "user-server import: the file",
        "empty", "user-server import: not a user-server export file",
        "another file", "user-server import: ");
    for (Map.Entry<String, byte[]> file : broken.entrySet()) {
      printed.reset();
      Path path = dir.resolve(file.getKey().replace(' ', '-'));
      Files.write(path, file.getValue());
      String target = "h2:" + dir.resolve("target-" + file.getKey().replace(' ', '-'));

      assertThat(run("import", "--store", target, "--file", path.toString())).as(file.getKey()).isEqualTo(1);

      assertThat(printed().lines()).as(file.getKey()).hasSize(1);
      assertThat(printed()).as(file.getKey()).startsWith(expected.get(file.getKey()));
      try (JdbcUserStore store = JdbcUserStore.open(h2File("target-" + file.getKey().replace(' ', '-')))) {
        assertThat(store.count(Optional.empty())).as(file.getKey()).isZero();
        assertThat(ExportFileWriter.export(store, OutputStream.nullOutputStream()).isEmpty()).as(file.getKey())
            .isTrue();
      }
    }
  }

  @Test
  void badUsage_isRefused() {
    assertThat(TransferCommandUsage.message("import", List.of("--store", "h2:x")))
        .isEqualTo("--store and --file are required");
    assertThat(TransferCommandUsage.message("export", List.of("--store", "h2:x", "--file", "f", "--replace")))
        .isEqualTo("unknown option --replace");
    assertThat(TransferCommandUsage.message("export", List.of("--store", "memory", "--file", "f")))
        .startsWith("--store memory holds nothing outside a running server");
    assertThat(TransferCommandUsage.message("export", List.of("--store", "sqlite:x.db", "--file", "f")))
        .startsWith("--store sqlite: cannot be exported or imported yet");
  }

  @Test
  void exportToAnExistingFile_isRefused() throws Exception {
    try (JdbcUserStore source = JdbcUserStore.open(h2File("users"))) {
      source.create(new NewUser("someone", "someone@example.com", "Someone", "member", 1_000), Optional.empty());
    }
    Path existing = Files.writeString(dir.resolve("existing"), "keep me");

    assertThat(run("export", "--store", "h2:" + dir.resolve("users"), "--file", existing.toString())).isEqualTo(1);

    assertThat(printed()).startsWith("user-server export: cannot write " + existing);
    assertThat(existing).hasContent("keep me");
  }

  /** Fills a memory store as the scenario does and exports it to a file. */
  private Path exportOfFilledMemoryStore() throws Exception {
    InMemoryUserStore source = new InMemoryUserStore();
    MovedStoreScenario.fill(source);
    Path file = dir.resolve("filled.export");
    try (OutputStream out = Files.newOutputStream(file)) {
      ExportFileWriter.export(source, out);
    }
    return file;
  }

  /** The length of the last record, the trailer, with its length prefix. */
  private static int trailerLength(byte[] file) throws java.io.IOException {
    java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(file);
    int start = 0;
    while (in.available() > 0) {
      start = file.length - in.available();
      io.github.usergrpc.user.server.transfer.v1.ExportRecord.parseDelimitedFrom(in);
    }
    return file.length - start;
  }

  private static byte[] flipped(byte[] bytes, int at) {
    byte[] copy = bytes.clone();
    copy[at] ^= 0x01;
    return copy;
  }

  private int run(String... args) {
    List<String> all = List.of(args);
    return TransferCommand.parse(all.get(0), all.subList(1, all.size()), Map.of(), err).run();
  }

  private String printed() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  private JdbcSettings h2File(String name) {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:file:" + dir.resolve(name)).build();
  }

  private static JdbcSettings h2Memory() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:transfer-" + java.util.UUID.randomUUID()).build();
  }

  /** The usage error {@link TransferCommand#parse} gives for a command line. */
  private static final class TransferCommandUsage {
    static String message(String command, List<String> args) {
      try {
        TransferCommand.parse(command, args, Map.of(), System.err);
        return "accepted";
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
  }
}
