package io.github.usergrpc.user.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.client.RetrySettings;
import io.github.usergrpc.user.client.UnavailableException;
import io.github.usergrpc.user.client.UserAlreadyExistsException;
import io.github.usergrpc.user.testkit.FakeUserServiceExtension;
import io.github.usergrpc.user.testkit.RecordedCall;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tests of {@link WelcomeService} as its team would write them: against the fake, no mocks, no network. */
class WelcomeServiceTest {

  @RegisterExtension
  final FakeUserServiceExtension users = new FakeUserServiceExtension();

  @Test
  void signUp_newUser_createsTheUserAndRecordsTheWelcome() {
    WelcomeService service = new WelcomeService(users.client());

    UserResponse ada = service.signUp("ada@example.com", "Ada").join();

    assertThat(users.client().getUser(ada.getId()).join().getName()).isEqualTo("Ada");
    assertThat(users.calls().requests(UserServiceGrpc.getRecordActivityMethod()))
        .extracting(RecordedCall::request)
        .singleElement()
        .satisfies(request -> {
          assertThat(request.getUserId()).isEqualTo(ada.getId());
          assertThat(request.getAction()).isEqualTo(WelcomeService.WELCOME_SENT);
        });
  }

  @Test
  void signUp_userServiceUnavailableTwice_retriesAndCreatesOneUser() {
    users.fake().failNext(UserServiceGrpc.getCreateUserMethod(), 2, Status.UNAVAILABLE);
    WelcomeService service = new WelcomeService(users.client());

    UserResponse ada = service.signUp("ada@example.com", "Ada").join();

    List<RecordedCall<CreateUserRequest>> attempts = users.calls().requests(UserServiceGrpc.getCreateUserMethod());
    assertThat(attempts).hasSize(3);
    assertThat(attempts).extracting(call -> call.request().getRequestId()).containsOnly(
        attempts.get(0).request().getRequestId());
    assertThat(users.client().listAllUsers()).containsExactly(ada);
  }

  @Test
  void signUp_emailTaken_failsAndWelcomesNobody() {
    users.fake().givenUser(u -> u.setEmail("ada@example.com"));
    WelcomeService service = new WelcomeService(users.client());

    assertThatThrownBy(() -> service.signUp("ADA@example.com", "Ada").join())
        .hasCauseInstanceOf(UserAlreadyExistsException.class);
    assertThat(users.calls().requests(UserServiceGrpc.getRecordActivityMethod())).isEmpty();
  }

  @Test
  void greeting_knownUser_greetsByName() {
    UserResponse grace = users.fake().givenUser(u -> u.setName("Grace"));

    String greeting = new WelcomeService(users.client()).greeting(grace.getId()).join();

    assertThat(greeting).isEqualTo("Welcome back, Grace!");
  }

  @Test
  void greeting_unknownUser_greetsAGuest() {
    String greeting = new WelcomeService(users.client()).greeting("nobody").join();

    assertThat(greeting).isEqualTo("Welcome, guest!");
    assertThat(users.calls().requests(UserServiceGrpc.getGetUserMethod())).singleElement()
        .satisfies(call -> assertThat(call.code()).contains(Status.Code.NOT_FOUND));
  }

  @Test
  void greeting_userServiceDown_failsWithUnavailable() {
    users.fake().makeStoreUnavailable();
    WelcomeService service = new WelcomeService(users.fake().newClient(
        builder -> builder.setRetrySettings(RetrySettings.disabled())));

    assertThatThrownBy(() -> service.greeting("anyone").join()).hasCauseInstanceOf(UnavailableException.class);
  }
}
