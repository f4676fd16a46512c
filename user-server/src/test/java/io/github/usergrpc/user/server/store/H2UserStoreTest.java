package io.github.usergrpc.user.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class H2UserStoreTest extends JdbcUserStoreContractTest {

  @TempDir
  Path directory;

  @Override
  JdbcSettings freshDatabase() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:users-" + UUID.randomUUID()).build();
  }

  /** A file database: the in-memory one is gone with its last store. */
  @Override
  JdbcSettings freshDurableDatabase() {
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:file:" + directory.resolve("users-" + UUID.randomUUID()))
        .build();
  }

  @Test
  void open_databaseOfSchemaVersionOneWithUsers_countsThemInUserCounts() throws Exception {
    String url = "jdbc:h2:file:" + directory.resolve("users") + ";MODE=PostgreSQL";
    Flyway.configure().dataSource(url, JdbcSettings.DEFAULT_USER, "").locations("classpath:db/migration").target("1")
        .placeholders(Map.of("id_collation", "")).load().migrate();
    try (Connection connection = DriverManager.getConnection(url, JdbcSettings.DEFAULT_USER, "");
        Statement statement = connection.createStatement()) {
      for (String[] user : new String[][] {{"u1", "admin"}, {"u2", "viewer"}, {"u3", "viewer"}}) {
        statement.executeUpdate("INSERT INTO users (id, email, email_key, name, role, created_at_ms,"
            + " updated_at_ms, version) VALUES ('" + user[0] + "', '" + user[0] + "@example.com', '" + user[0]
            + "@example.com', 'N', '" + user[1] + "', 1, 1, 1)");
      }
    }

    try (JdbcUserStore store = JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl(url).build())) {
      assertThat(store.count(Optional.empty())).isEqualTo(3);
      assertThat(store.count(Optional.of("viewer"))).isEqualTo(2);
      store.create(new NewUser("u4", "u4@example.com", "N", "viewer", 2), Optional.empty());
      assertThat(store.count(Optional.of("viewer"))).isEqualTo(3);
    }
  }

  @Test
  void open_inMemoryDatabase_isGoneWhenItsLastStoreCloses() {
    JdbcSettings memory = freshDatabase();
    try (JdbcUserStore first = JdbcUserStore.open(memory)) {
      first.create(new NewUser("u1", "a@example.com", "A", "viewer", 1), Optional.empty());
    }

    try (JdbcUserStore second = JdbcUserStore.open(memory)) {
      assertThat(second.count(Optional.empty())).isZero();
    }
  }

  /**
   * With H2's default WRITE_DELAY of 500 ms instead of the store's 0, this fails: the users acknowledged in
   * the last half second before the kill are gone.
   */
  @Test
  @Timeout(60)
  void create_processKilledRightAfterwards_keepsEveryAcknowledgedUser() throws Exception {
    KilledWriter.assertKeepsEveryAcknowledgedUser("jdbc:h2:file:" + directory.resolve("users"), directory);
  }
}
