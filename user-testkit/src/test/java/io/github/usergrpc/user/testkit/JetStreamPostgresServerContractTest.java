package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.PostgresAdvisoryLease;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Channel;
import java.sql.DriverManager;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract suite against the reference server on a real port with its activity on NATS JetStream (the
 * machine's server, a stream of the class's own) and its users in PostgreSQL (a schema of the class's own),
 * the relay taking PostgreSQL's advisory lock as replicas do. Skipped without NATS or PostgreSQL unless
 * REQUIRE_NATS / REQUIRE_POSTGRES are true.
 */
class JetStreamPostgresServerContractTest extends UserServiceContractTest {

  @RegisterExtension
  @Order(1)
  static final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  @Order(2)
  static final LocalNats nats = new LocalNats();

  @RegisterExtension
  @Order(3)
  static final RealServer server = new RealServer(() -> {
    JdbcSettings settings = postgres.settings().toBuilder().setMaximumPoolSize(10).setActivityOutbox(true).build();
    JdbcUserStore users = JdbcUserStore.open(settings);
    PostgresAdvisoryLease lease = new PostgresAdvisoryLease(
        () -> DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password()),
        PostgresAdvisoryLease.keyFor(users.secretKey()));
    return JetStreamUserStore.open(users, users.outbox(), lease, nats.freshSettings());
  });

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
