package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Channel;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The contract suite against the reference server on a real port, embedded H2 file database. */
class H2ServerContractTest extends UserServiceContractTest {

  @TempDir
  static Path directory;

  @RegisterExtension
  static final RealServer server = new RealServer(() -> JdbcUserStore.open(JdbcSettings.newBuilder()
      .setJdbcUrl("jdbc:h2:file:" + directory.resolve("users"))
      .build()));

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
