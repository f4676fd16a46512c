package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Channel;
import java.nio.file.Path;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract suite against the reference server on a real port with its activity on NATS JetStream (the
 * machine's server, a stream of the class's own, deleted afterwards) and its users in an embedded SQLite file
 * database with the outbox. Skipped without a reachable NATS server unless REQUIRE_NATS=true.
 */
class JetStreamServerContractTest extends UserServiceContractTest {

  @TempDir
  static Path directory;

  @RegisterExtension
  @Order(1)
  static final LocalNats nats = new LocalNats();

  @RegisterExtension
  @Order(2)
  static final RealServer server = new RealServer(() -> {
    JdbcUserStore users = JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:sqlite:" + directory.resolve("users.db"))
        .setActivityOutbox(true)
        .build());
    return JetStreamUserStore.open(users, users.outbox(), RelayLease.singleProcess(), nats.freshSettings());
  });

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
