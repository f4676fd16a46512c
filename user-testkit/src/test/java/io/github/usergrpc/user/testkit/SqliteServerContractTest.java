package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Channel;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The contract suite against the reference server on a real port, embedded SQLite file database. */
class SqliteServerContractTest extends UserServiceContractTest {

  @TempDir
  static Path directory;

  private static RealServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new RealServer(JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:sqlite:" + directory.resolve("users.db"))
        .build()));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
