package io.github.usergrpc.user.testkit;

import io.grpc.Channel;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract suite against the fake: it must behave as the real server does. */
class FakeUserServiceContractTest extends UserServiceContractTest {

  @RegisterExtension
  static final FakeUserServiceExtension fake = FakeUserServiceExtension.perClass();

  @Override
  protected Channel channel() {
    return fake.channel();
  }
}
