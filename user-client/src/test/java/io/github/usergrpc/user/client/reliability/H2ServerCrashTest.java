package io.github.usergrpc.user.client.reliability;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** {@link ServerCrashTest} on the embedded H2 file database, the server's default store until SQLite. */
class H2ServerCrashTest extends ServerCrashTest {

  @TempDir
  Path directory;

  @Override
  List<String> storeArguments() {
    return List.of("--store", "h2:" + directory.resolve("users"));
  }

  @Override
  Connection connect() throws SQLException {
    return connect("jdbc:h2:file:" + directory.resolve("users") + ";MODE=PostgreSQL", "sa", "");
  }
}
