package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hundred tests as a consumer would write them, each on a fresh fake, to see what a suite costs: the
 * time is in the Surefire report of this class (nothing is asserted about it).
 */
class ConsumerSuiteTimingTest {

  @RegisterExtension
  final FakeUserServiceExtension users = new FakeUserServiceExtension();

  @RepeatedTest(100)
  void typicalConsumerTest() {
    UserResponse user = users.fake().givenUser();

    UserResponse renamed = users.client().updateUser(UpdateUserRequest.newBuilder()
        .setId(user.getId()).setEtag(user.getEtag()).setName("Renamed").build()).join();

    assertThat(renamed.getName()).isEqualTo("Renamed");
    assertThat(users.client().getUser(user.getId()).join()).isEqualTo(renamed);
    assertThat(users.fake().requests(UserServiceGrpc.getUpdateUserMethod())).singleElement()
        .satisfies(call -> assertThat(call.request().getEtag()).isEqualTo(user.getEtag()));
  }
}
