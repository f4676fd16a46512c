package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upgrade to per-user sequences (V4) on a database written by the global counter (V1-V3): resume points
 * handed out before stay valid, what was pruned stays expired, and the role counts stay exact.
 */
class PerUserSequencesMigrationTest {

  private static final long T0 = 1_700_000_000_000L;

  @Test
  void h2_upgradeFromTheGlobalCounter_keepsResumePointsAndCounts() throws SQLException {
    String url = "jdbc:h2:mem:upgrade-" + UUID.randomUUID();
    JdbcSettings settings = JdbcSettings.newBuilder().setJdbcUrl(url).build();
    // Holds the in-memory database open between the old schema and the store.
    try (Connection keepAlive = DriverManager.getConnection(SqlDialect.H2.connectionUrl(url), "sa", "")) {
      upgrade(settings, SqlDialect.H2.connectionUrl(url));
    }
  }

  /** SQLite's V4 rebuilds the activity table (db/migration-sqlite): its data must come through. */
  @Test
  void sqlite_upgradeFromTheGlobalCounter_keepsResumePointsAndCounts(@TempDir Path directory)
      throws SQLException {
    String url = "jdbc:sqlite:" + directory.resolve("upgrade.db");
    upgrade(JdbcSettings.newBuilder().setJdbcUrl(url).build(), SqlDialect.SQLITE.connectionUrl(url));
  }

  @Nested
  class OnPostgres {

    @RegisterExtension
    final PostgresTestDatabase postgres = new PostgresTestDatabase();

    @Test
    void postgres_upgradeFromTheGlobalCounter_keepsResumePointsAndCounts() throws SQLException {
      upgrade(postgres.settings(), postgres.jdbcUrl());
    }
  }

  private static void upgrade(JdbcSettings settings, String url) throws SQLException {
    SqlDialect dialect = settings.dialect();
    Flyway.configure(PerUserSequencesMigrationTest.class.getClassLoader())
        .dataSource(url, settings.user(), settings.password())
        .locations(dialect.migrationLocations().toArray(String[]::new))
        .placeholders(Map.of("id_collation", dialect.idCollation()))
        .target("3")
        .load()
        .migrate();
    // As the global counter left it: events 1 and 2 pruned, 3 to 7 kept, alternating between two users.
    try (Connection connection = DriverManager.getConnection(url, settings.user(), settings.password());
        Statement statement = connection.createStatement()) {
      statement.executeUpdate("INSERT INTO users (id, email, email_key, name, role, created_at_ms, updated_at_ms,"
          + " version) VALUES ('u1', 'a@example.com', 'a@example.com', 'A', 'viewer', 0, 0, 1),"
          + " ('u2', 'b@example.com', 'b@example.com', 'B', 'admin', 0, 0, 1)");
      for (long sequence = 3; sequence <= 7; sequence++) {
        statement.executeUpdate("INSERT INTO activity (sequence, user_id, action, details, occurred_at_ms)"
            + " VALUES (" + sequence + ", '" + (sequence % 2 == 1 ? "u1" : "u2") + "', 'page_view', '/"
            + sequence + "', " + T0 + ")");
      }
      statement.executeUpdate("UPDATE activity_counter SET last_sequence = 7");
      statement.executeUpdate("UPDATE activity_retention SET pruned_up_to = 2");
      statement.executeUpdate("INSERT INTO user_counts (role, users) VALUES ('viewer', 1), ('admin', 1)");
      if (!connection.getAutoCommit()) {
        connection.commit();
      }
    }

    try (JdbcUserStore store = JdbcUserStore.open(settings)) {
      // Resume points from before the upgrade replay exactly what followed them.
      assertThat(store.userActivityAfter("u1", 3, 10)).extracting(ActivityRecord::sequence).containsExactly(5L, 7L);
      assertThat(store.userActivityAfter("u2", 4, 10)).extracting(ActivityRecord::sequence).containsExactly(6L);
      assertThatThrownBy(() -> store.userActivityAfter("u1", 1, 10))
          .isInstanceOfSatisfying(ResumePointExpiredException.class,
              e -> assertThat(e.oldestRetained()).isEqualTo(3));
      // New events come after every sequence handed out before, for every user.
      ActivityRecord next = store.recordActivity("u2", "page_view", "/new", T0 + 1, Optional.empty());
      assertThat(next.sequence()).isEqualTo(8);
      assertThat(store.userActivityAfter("u2", 7, 10)).containsExactly(next);
      assertThat(store.userActivityAfter("u2", 6, 10)).containsExactly(next);
      assertThat(store.recordActivity("u1", "page_view", "/new", T0 + 1, Optional.empty()).sequence()).isEqualTo(8);
      // Counts from before the upgrade and after it add up.
      assertThat(store.count(Optional.empty())).isEqualTo(2);
      store.delete("u1", Optional.empty(), T0 + 2);
      assertThat(store.count(Optional.of("viewer"))).isZero();
      assertThat(store.count(Optional.of("admin"))).isEqualTo(1);
      assertThat(store.count(Optional.empty())).isEqualTo(1);
      // A deleted user's head stays: its resume points keep their meaning.
      assertThat(store.lastSequence("u1")).isEqualTo(9);
    }
  }
}
