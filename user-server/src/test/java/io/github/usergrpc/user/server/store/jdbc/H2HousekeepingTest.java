package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2HousekeepingTest {

  /**
   * With WRITE_DELAY=0 every commit writes a chunk, and chunks that keep a live page or two stay: the
   * chunks' fill rate falls and only housekeeping raises it again.
   */
  @Test
  void runOnce_afterManySmallCommits_raisesTheChunksFillRate(@TempDir Path directory) throws Exception {
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL(SqlDialect.H2.connectionUrl("jdbc:h2:file:" + directory.resolve("db")));
    dataSource.setUser(JdbcSettings.DEFAULT_USER);
    try (Connection connection = dataSource.getConnection()) {
      try (Statement statement = connection.createStatement()) {
        // H2 rewrites only chunks older than its retention time, 45 s by default.
        statement.execute("SET RETENTION_TIME 0");
        statement.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR NOT NULL)");
        statement.execute("INSERT INTO t SELECT x, REPEAT('v', 200) FROM SYSTEM_RANGE(1, 5000)");
      }
      try (PreparedStatement update = connection.prepareStatement("UPDATE t SET v = ? WHERE id = ?")) {
        for (int i = 0; i < 3000; i++) {
          update.setString(1, "v" + i);
          update.setInt(2, 1 + (i * 7919) % 5000);
          update.executeUpdate();
        }
      }
      int before = H2Housekeeping.chunksFillRate(connection);

      // A run rewrites pages in memory; the next commit writes them and drops the chunks left empty.
      for (int run = 1; run <= 100 && H2Housekeeping.runOnce(dataSource); run++) {
        try (Statement statement = connection.createStatement()) {
          statement.executeUpdate("UPDATE t SET v = 'w' WHERE id = " + run);
        }
      }

      int after = H2Housekeeping.chunksFillRate(connection);
      assertThat(before).isLessThan(H2Housekeeping.TARGET_FILL_RATE);
      assertThat(after).isGreaterThanOrEqualTo(H2Housekeeping.TARGET_FILL_RATE);
    }
  }

  @Test
  void isEmbeddedH2File_onlyForFilesOfThisJvm() {
    assertThat(StoreBootstrap.isEmbeddedH2File("jdbc:h2:file:./data/users")).isTrue();
    assertThat(StoreBootstrap.isEmbeddedH2File("jdbc:h2:./data/users")).isTrue();
    assertThat(StoreBootstrap.isEmbeddedH2File("jdbc:h2:mem:users")).isFalse();
    assertThat(StoreBootstrap.isEmbeddedH2File("jdbc:h2:tcp://localhost/users")).isFalse();
    assertThat(StoreBootstrap.isEmbeddedH2File("jdbc:postgresql://localhost/users")).isFalse();
  }
}
