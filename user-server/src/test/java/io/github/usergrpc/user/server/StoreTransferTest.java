package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreSummary;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.server.transfer.ExportFileReader;
import io.github.usergrpc.user.server.transfer.ExportFileWriter;
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
 * Moving a whole store: memory to H2 and H2 (a file, through the command line) to memory, each followed by
 * an export of the moved store that must be the same bytes and a real server on it that must answer as
 * before; and the refusals: a non-empty target, a truncated or corrupt file. PostgreSQL is in
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
  void h2FileToMemory_throughTheCommandLine_keepsEverything() throws Exception {
    String store = "h2:" + dir.resolve("users");
    MovedStoreScenario scenario;
    try (JdbcUserStore source = JdbcUserStore.open(h2File("users"))) {
      scenario = MovedStoreScenario.fill(source);
    }
    Path first = dir.resolve("first.export");
    assertThat(run("export", "--store", store, "--file", first.toString())).as(printed()).isZero();
    assertThat(printed()).startsWith("user-server export: exported 4 users, 2 CreateUser request ids and ");

    InMemoryUserStore moved = new InMemoryUserStore();
    try (InputStream in = Files.newInputStream(first)) {
      StoreSummary summary = ExportFileReader.importFile(in, moved, false);
      assertThat(summary.users()).isEqualTo(4);
    }
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    ExportFileWriter.export(moved, second);
    assertThat(second.toByteArray()).isEqualTo(Files.readAllBytes(first));
    scenario.checkServedBy(moved);
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
        assertThat(store.lastSequence()).as(file.getKey()).isZero();
        assertThat(store.activityAfter(0, 10)).as(file.getKey()).isEmpty();
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
