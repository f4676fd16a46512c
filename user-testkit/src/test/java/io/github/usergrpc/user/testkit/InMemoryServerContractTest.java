package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.grpc.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract suite against the reference server on a real port, in-memory store. */
class InMemoryServerContractTest extends UserServiceContractTest {

  private static RealServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new RealServer(new InMemoryUserStore());
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
