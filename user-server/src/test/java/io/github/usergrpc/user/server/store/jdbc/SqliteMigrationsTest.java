package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SQLite migrates from {@code db/migration-sqlite} (see {@link SqlDialect#migrationLocations}): it must hold
 * every version of {@code db/migration}, byte for byte except the ones SQLite cannot run as written. Fails
 * when a migration is added to {@code db/migration} only, or a copy drifts from its original.
 */
class SqliteMigrationsTest {

  /**
   * The scripts SQLite has its own version of: V4 rebuilds the activity table instead of ALTERing its key, V5
   * numbers the outbox with AUTOINCREMENT instead of an identity column.
   */
  private static final Set<String> SQLITE_OWN = Set.of("V4__per_user_sequences.sql", "V5__activity_outbox.sql");

  @Test
  void sqliteLocation_holdsEveryMigrationAsWrittenForTheOthersExceptItsOwn() throws Exception {
    Path shared = resource("db/migration");
    Path sqlite = resource("db/migration-sqlite");

    assertThat(names(sqlite)).containsExactlyElementsOf(names(shared));
    for (String name : names(shared)) {
      if (!SQLITE_OWN.contains(name)) {
        assertThat(Files.readAllBytes(sqlite.resolve(name))).as(name)
            .isEqualTo(Files.readAllBytes(shared.resolve(name)));
      }
    }
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(SqliteMigrationsTest.class.getClassLoader().getResource(name).toURI());
  }

  private static List<String> names(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(file -> file.getFileName().toString()).sorted().toList();
    }
  }
}
