package io.github.usergrpc.user.testkit;

import static io.github.usergrpc.user.testkit.StatusDetails.catchStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The record of calls a fake received, and the fake's shorthands for it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RecordedCallsTest {

  @RegisterExtension
  final FakeUserServiceExtension extension = new FakeUserServiceExtension();

  @Test
  void requests_recordRequestHeadersDeadlineAndAttempt() {
    UserResponse user = extension.fake().givenUser();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-team", Metadata.ASCII_STRING_MARSHALLER), "billing");
    GetUserRequest request = GetUserRequest.newBuilder().setId(user.getId()).build();

    blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(5, TimeUnit.SECONDS).getUser(request);

    RecordedCall<GetUserRequest> call = extension.calls().requests(UserServiceGrpc.getGetUserMethod()).get(0);
    assertThat(call.methodName()).isEqualTo("GetUser");
    assertThat(call.request()).isEqualTo(request);
    assertThat(call.header("x-team")).contains("billing");
    assertThat(call.header("x-absent")).isEmpty();
    assertThat(call.timeout()).hasValueSatisfying(timeout ->
        assertThat(timeout).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5)));
    assertThat(call.previousAttempts()).isZero();
    assertThat(call.cancelled()).isFalse();
    assertThat(call.code()).contains(Status.Code.OK);
    assertThat(call.toString()).contains("GetUser", "attempt=1", "OK");
  }

  @Test
  void requests_callWithoutDeadline_hasNoTimeout() {
    UserServiceGrpc.newBlockingStub(extension.channel()).listUsers(ListUsersRequest.getDefaultInstance());

    assertThat(extension.calls().requests(UserServiceGrpc.getListUsersMethod()).get(0).timeout()).isEmpty();
  }

  @Test
  void requests_areImmutableSnapshots() throws Exception {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    Future<UserResponse> held = FakeUserServiceTest.frozenGetUser(fake, user.getId());
    List<RecordedCall<GetUserRequest>> whileHeld = fake.calls().requests(UserServiceGrpc.getGetUserMethod());

    fake.unfreeze(UserServiceGrpc.getGetUserMethod());
    held.get(5, TimeUnit.SECONDS);
    whileHeld.get(0).headers().put(Metadata.Key.of("x-added", Metadata.ASCII_STRING_MARSHALLER), "1");

    assertThat(whileHeld.get(0).status()).isEmpty();
    assertThat(whileHeld.get(0).header("x-added")).isEmpty();
    assertThatThrownBy(() -> whileHeld.add(whileHeld.get(0))).isInstanceOf(UnsupportedOperationException.class);
    assertThat(fake.calls().requests(UserServiceGrpc.getGetUserMethod()).get(0).code()).contains(Status.Code.OK);
  }

  @Test
  void allRequests_listsEveryMethodInOrderOfArrival() {
    UserResponse user = extension.fake().givenUser();

    blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build());
    blocking().listUsers(ListUsersRequest.getDefaultInstance());
    catchStatus(() -> blocking().getUser(GetUserRequest.newBuilder().setId("missing").build()));

    RecordedCalls calls = extension.calls();
    assertThat(calls.allRequests()).extracting(RecordedCall::methodName)
        .containsExactly("GetUser", "ListUsers", "GetUser");
    assertThat(calls.allRequests()).extracting(call -> call.code().orElseThrow())
        .containsExactly(Status.Code.OK, Status.Code.OK, Status.Code.NOT_FOUND);
    assertThat(calls.requestCount(UserServiceGrpc.getGetUserMethod())).isEqualTo(2);
    assertThat(calls.cancellations(UserServiceGrpc.getGetUserMethod())).isEmpty();
  }

  @Test
  void awaitRequests_tooFewWithinTheTimeout_failsListingTheCalls() {
    blocking().listUsers(ListUsersRequest.getDefaultInstance());
    RecordedCalls calls = extension.calls();

    assertThatThrownBy(() -> calls.awaitRequests(UserServiceGrpc.getListUsersMethod(), 2, Duration.ofMillis(50)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("at least 2 ListUsers").hasMessageContaining("ListUsers{");
    assertThatThrownBy(() -> calls.awaitCancellation(UserServiceGrpc.getListUsersMethod(), Duration.ofMillis(50)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("cancelled ListUsers");
  }

  @Test
  void methodOfAnotherService_isRefused() {
    MethodDescriptor<?, ?> health = HealthGrpc.getCheckMethod();

    assertThatThrownBy(() -> extension.calls().requestCount(health)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grpc.health.v1.Health/Check").hasMessageContaining("expected: a UserService method");
  }

  @Test
  void toString_countsAndListsTheCalls() {
    blocking().listUsers(ListUsersRequest.getDefaultInstance());

    assertThat(extension.calls().toString()).startsWith("requests=1\n  ListUsers{");
    assertThat(extension.fake().toString()).contains(extension.fake().serverName(), "requests=1", "ListUsers{");
  }

  /** The fake's own verification methods answer what its record of calls answers. */
  @Test
  void fakeShorthands_answerAsTheRecord() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build());
    MethodDescriptor<GetUserRequest, UserResponse> getUser = UserServiceGrpc.getGetUserMethod();
    RecordedCalls calls = fake.calls();

    assertThat(fake.calls()).isSameAs(calls);
    assertThat(described(fake.requests(getUser))).hasSize(1).isEqualTo(described(calls.requests(getUser)));
    assertThat(described(fake.allRequests())).isEqualTo(described(calls.allRequests()));
    assertThat(fake.requestCount(getUser)).isEqualTo(calls.requestCount(getUser)).isEqualTo(1);
    assertThat(fake.cancellations(getUser)).isEqualTo(calls.cancellations(getUser)).isEmpty();
    assertThat(described(fake.awaitRequests(getUser, 1, Duration.ofSeconds(1))))
        .isEqualTo(described(calls.requests(getUser)));
    assertThatThrownBy(() -> fake.awaitCancellation(getUser, Duration.ofMillis(10)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("cancelled GetUser");
  }

  /** Snapshots have no equals of their own (their headers have none): compare what they say. */
  private static List<String> described(List<? extends RecordedCall<?>> calls) {
    return calls.stream().map(RecordedCall::toString).toList();
  }

  private UserServiceGrpc.UserServiceBlockingStub blocking() {
    return UserServiceGrpc.newBlockingStub(extension.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
  }
}
