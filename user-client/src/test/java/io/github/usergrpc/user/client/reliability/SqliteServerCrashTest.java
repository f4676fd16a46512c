package io.github.usergrpc.user.client.reliability;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** {@link ServerCrashTest} on the embedded SQLite file database, the server's default store. */
class SqliteServerCrashTest extends ServerCrashTest {

  @TempDir
  Path directory;

  @Override
  List<String> storeArguments() {
    return List.of("--store", "sqlite:" + directory.resolve("users.db"));
  }

  @Override
  Connection connect() throws SQLException {
    return connect("jdbc:sqlite:" + directory.resolve("users.db"), "", "");
  }
}
