package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.server.transfer.ExportFileWriter;
import java.io.ByteArrayOutputStream;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving up and back through the command line: an H2 file store to PostgreSQL, and PostgreSQL to an H2
 * file, each checked by exporting the moved store again (the same bytes) and by a real server on it; a
 * truncated file leaves PostgreSQL untouched.
 */
class StoreTransferPostgresTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @TempDir Path dir;

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @Test
  void h2ToPostgres_keepsEverything() throws Exception {
    MovedStoreScenario scenario;
    try (JdbcUserStore source = JdbcUserStore.open(h2File("users"))) {
      scenario = MovedStoreScenario.fill(source);
    }
    Path first = dir.resolve("first.export");
    Path second = dir.resolve("second.export");

    assertThat(run("export", "--store", "h2:" + dir.resolve("users"), "--file", first.toString())).as(printed())
        .isZero();
    assertThat(run("import", "--store", postgres.jdbcUrl(), "--file", first.toString(), "--db-user",
        postgres.user())).as(printed()).isZero();
    assertThat(run("export", "--store", postgres.jdbcUrl(), "--file", second.toString(), "--db-user",
        postgres.user())).as(printed()).isZero();

    assertThat(second).hasSameBinaryContentAs(first);
    try (JdbcUserStore moved = JdbcUserStore.open(postgres.settings())) {
      scenario.checkServedBy(moved);
    }
  }

  @Test
  void postgresToH2_keepsEverything() throws Exception {
    MovedStoreScenario scenario;
    try (JdbcUserStore source = JdbcUserStore.open(postgres.settings())) {
      scenario = MovedStoreScenario.fill(source);
    }
    Path first = dir.resolve("first.export");
    Path second = dir.resolve("second.export");

    assertThat(run("export", "--store", postgres.jdbcUrl(), "--file", first.toString(), "--db-user",
        postgres.user())).as(printed()).isZero();
    assertThat(run("import", "--store", "h2:" + dir.resolve("moved"), "--file", first.toString())).as(printed())
        .isZero();
    assertThat(run("export", "--store", "h2:" + dir.resolve("moved"), "--file", second.toString())).as(printed())
        .isZero();

    assertThat(second).hasSameBinaryContentAs(first);
    try (JdbcUserStore moved = JdbcUserStore.open(h2File("moved"))) {
      scenario.checkServedBy(moved);
    }
  }

  @Test
  void truncatedFile_leavesPostgresUntouched() throws Exception {
    InMemoryUserStore source = new InMemoryUserStore();
    MovedStoreScenario.fill(source);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    ExportFileWriter.export(source, whole);
    Path truncated = dir.resolve("truncated.export");
    try (OutputStream out = Files.newOutputStream(truncated)) {
      byte[] bytes = whole.toByteArray();
      out.write(Arrays.copyOf(bytes, bytes.length - 10));
    }

    assertThat(run("import", "--store", postgres.jdbcUrl(), "--file", truncated.toString(), "--db-user",
        postgres.user())).isEqualTo(1);

    assertThat(printed().lines()).hasSize(1);
    assertThat(printed()).contains("truncated").contains("nothing was imported");
    try (JdbcUserStore store = JdbcUserStore.open(postgres.settings())) {
      assertThat(store.count(Optional.empty())).isZero();
      assertThat(ExportFileWriter.export(store, OutputStream.nullOutputStream()).isEmpty()).isTrue();
    }
  }

  private int run(String... args) {
    List<String> all = List.of(args);
    Map<String, String> env = Map.of("USER_SERVER_DB_PASSWORD", postgres.password());
    return TransferCommand.parse(all.get(0), all.subList(1, all.size()), env, err).run();
  }

  private String printed() {
    return printed.toString(StandardCharsets.UTF_8);
  }

  private JdbcSettings h2File(String name) {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:file:" + dir.resolve(name)).build();
  }
}
