package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.grpc.Channel;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract suite against the reference server on a real port, in-memory store. */
class InMemoryServerContractTest extends UserServiceContractTest {

  @RegisterExtension
  static final RealServer server = new RealServer(InMemoryUserStore::new);

  @Override
  protected Channel channel() {
    return server.channel();
  }
}
