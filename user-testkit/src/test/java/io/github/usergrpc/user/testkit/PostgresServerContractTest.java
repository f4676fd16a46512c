package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.grpc.Channel;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract suite against the reference server on a real port, PostgreSQL store (a fresh schema for the
 * class). Skipped without a reachable database unless REQUIRE_POSTGRES=true.
 */
class PostgresServerContractTest extends UserServiceContractTest {

  @RegisterExtension
  @Order(1)
  static final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  @Order(2)
  static final RealServer server = new RealServer(
      () -> JdbcUserStore.open(postgres.settings().toBuilder().setMaximumPoolSize(10).build()));

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
