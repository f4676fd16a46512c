package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import com.google.rpc.BadRequest;
import io.github.usergrpc.user.client.ActivityListener;
import io.github.usergrpc.user.client.DeadlineExceededException;
import io.github.usergrpc.user.client.InvalidArgumentException;
import io.github.usergrpc.user.client.UnavailableException;
import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.client.UserServiceException;
import io.github.usergrpc.user.client.WatchHandle;
import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.Empty;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client of user-client against the fake with injected faults (issue 5): retries of what is safe to
 * retry only, deadlines, cancellation, the resumable watch, pagination and client-side validation.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserClientAgainstFakeTest {

  /** How long a condition may take before the test fails: generous, for a machine busy with other builds. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final FakeUserServiceExtension users = new FakeUserServiceExtension();

  // ---- Retries ---------------------------------------------------------------------------------------

  @Test
  void getUser_unavailableOnTwoAttempts_succeedsOnTheThird() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    fake.failNext(UserServiceGrpc.getGetUserMethod(), 2, Status.UNAVAILABLE);

    UserResponse read = users.client().getUser(user.getId()).join();

    assertThat(read).isEqualTo(user);
    assertThat(fake.requests(UserServiceGrpc.getGetUserMethod()))
        .extracting(RecordedCall::previousAttempts, call -> call.code().orElseThrow())
        .containsExactly(
            tuple(0, Status.Code.UNAVAILABLE),
            tuple(1, Status.Code.UNAVAILABLE),
            tuple(2, Status.Code.OK));
  }

  @Test
  void createUser_unavailableOnTwoAttempts_createsOneUserWithOneRequestId() {
    FakeUserService fake = users.fake();
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 2, Status.UNAVAILABLE);

    UserResponse created = users.client().createUser("ada@example.com", "Ada", "admin").join();

    List<RecordedCall<CreateUserRequest>> attempts = fake.requests(UserServiceGrpc.getCreateUserMethod());
    assertThat(attempts).hasSize(3);
    assertThat(attempts).extracting(call -> call.request().getRequestId()).doesNotContain("")
        .containsOnly(attempts.get(0).request().getRequestId());
    assertThat(users.client().listAllUsers()).containsExactly(created);
  }

  @Test
  void createUser_withoutRequestId_isNotRetried() {
    FakeUserService fake = users.fake();
    UserClient client = fake.newClient(builder -> builder.setAutomaticRequestIds(false));
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 1, Status.UNAVAILABLE);

    CompletableFuture<UserResponse> create = client.createUser("ada@example.com", "Ada", "");

    assertThatThrownBy(create::join).hasCauseInstanceOf(UnavailableException.class);
    assertThat(fake.requests(UserServiceGrpc.getCreateUserMethod())).singleElement()
        .satisfies(call -> assertThat(call.request().getRequestId()).isEmpty());
    assertThat(client.listAllUsers()).isEmpty();
  }

  @Test
  void updateUser_withEtag_isRetried() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    fake.failNext(UserServiceGrpc.getUpdateUserMethod(), 2, Status.UNAVAILABLE);

    UserResponse updated = users.client().updateUser(UpdateUserRequest.newBuilder()
        .setId(user.getId()).setEtag(user.getEtag()).setName("Renamed").build()).join();

    assertThat(updated.getName()).isEqualTo("Renamed");
    assertThat(fake.requestCount(UserServiceGrpc.getUpdateUserMethod())).isEqualTo(3);
  }

  @Test
  void updateUser_withoutEtag_isNotRetried() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    fake.failNext(UserServiceGrpc.getUpdateUserMethod(), 1, Status.UNAVAILABLE);

    CompletableFuture<UserResponse> update = users.client().updateUser(UpdateUserRequest.newBuilder()
        .setId(user.getId()).setName("Renamed").build());

    assertThatThrownBy(update::join).hasCauseInstanceOf(UnavailableException.class);
    assertThat(fake.requestCount(UserServiceGrpc.getUpdateUserMethod())).isEqualTo(1);
  }

  @Test
  void deleteUser_withEtagIsRetried_withoutIsNot() {
    FakeUserService fake = users.fake();
    UserResponse first = fake.givenUser();
    UserResponse second = fake.givenUser();
    fake.failNext(UserServiceGrpc.getDeleteUserMethod(), 1, Status.UNAVAILABLE);
    users.client().deleteUser(DeleteUserRequest.newBuilder().setId(first.getId()).setEtag(first.getEtag()).build())
        .join();
    fake.failNext(UserServiceGrpc.getDeleteUserMethod(), 1, Status.UNAVAILABLE);

    CompletableFuture<Empty> unconditional = users.client().deleteUser(second.getId());

    assertThatThrownBy(unconditional::join).hasCauseInstanceOf(UnavailableException.class);
    assertThat(fake.requests(UserServiceGrpc.getDeleteUserMethod()))
        .extracting(call -> call.request().getId(), call -> call.code().orElseThrow())
        .containsExactly(
            tuple(first.getId(), Status.Code.UNAVAILABLE),
            tuple(first.getId(), Status.Code.OK),
            tuple(second.getId(), Status.Code.UNAVAILABLE));
  }

  @Test
  void getUser_storeUnavailable_isRetriedThenFailsWithStoreUnavailable() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    fake.makeStoreUnavailable();

    CompletableFuture<UserResponse> read = users.client().getUser(user.getId());

    assertThatThrownBy(read::join).cause().isInstanceOfSatisfying(UnavailableException.class,
        e -> assertThat(e.reason()).contains("STORE_UNAVAILABLE"));
    assertThat(fake.requestCount(UserServiceGrpc.getGetUserMethod())).isEqualTo(4);
  }

  // ---- Deadlines and cancellation --------------------------------------------------------------------

  @Test
  void getUser_deadlineOf50msAgainstAHeldCall_failsAtTheDeadline_andTheServerSeesTheCancellation() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    UserClient client = users.client();
    client.getUser(user.getId()).join();
    fake.freeze(UserServiceGrpc.getGetUserMethod());

    long start = System.nanoTime();
    CompletableFuture<UserResponse> read = client.withTimeout(Duration.ofMillis(50)).getUser(user.getId());
    Throwable failure = Futures.failureOf(read);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

    assertThat(failure).isInstanceOf(DeadlineExceededException.class);
    // The held call never ends by itself: only the deadline can end it. No upper bound on the time, which
    // a busy machine stretches.
    assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(45));
    RecordedCall<GetUserRequest> cancelled = fake.awaitCancellation(UserServiceGrpc.getGetUserMethod(), WAIT);
    assertThat(cancelled.status()).isEmpty();
    assertThat(cancelled.timeout()).hasValueSatisfying(t -> assertThat(t).isLessThanOrEqualTo(Duration.ofMillis(50)));
    fake.unfreeze(UserServiceGrpc.getGetUserMethod());
  }

  @Test
  void cancel_ofAFutureInFlight_cancelsTheServerCall() {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    fake.freeze(UserServiceGrpc.getGetUserMethod());
    CompletableFuture<UserResponse> read = users.client().getUser(user.getId());
    fake.awaitRequests(UserServiceGrpc.getGetUserMethod(), 1, WAIT);

    boolean cancelled = read.cancel(false);

    assertThat(cancelled).isTrue();
    RecordedCall<GetUserRequest> call = fake.awaitCancellation(UserServiceGrpc.getGetUserMethod(), WAIT);
    assertThat(call.request().getId()).isEqualTo(user.getId());
    assertThat(call.status()).isEmpty();
    fake.unfreeze(UserServiceGrpc.getGetUserMethod());
    assertThat(fake.requestCount(UserServiceGrpc.getGetUserMethod())).isEqualTo(1);
  }

  // ---- Watch -----------------------------------------------------------------------------------------

  @Test
  void watchActivity_acrossForcedDisconnects_deliversEveryEventOnceInOrder() throws Exception {
    FakeUserService fake = users.fake();
    UserClient client = fake.newClient(builder -> builder.setWatchBackoff(Duration.ofMillis(2), Duration.ofMillis(20)));
    UserResponse user = fake.givenUser();
    ActivityEvent start = fake.emitActivity(user.getId(), "setup", "");
    fake.dropWatchAfter(7);
    List<ActivityEvent> received = new CopyOnWriteArrayList<>();
    AtomicReference<UserServiceException> error = new AtomicReference<>();

    WatchHandle watch = client.watchActivity(user.getId(), start.getSequence(), new ActivityListener() {
      @Override
      public void onEvent(ActivityEvent event) {
        received.add(event);
      }

      @Override
      public void onError(UserServiceException failure) {
        error.set(failure);
      }
    });
    List<Long> emitted = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      emitted.add(fake.emitActivity(user.getId(), "page_view", "/" + i).getSequence());
      Thread.sleep(1);
    }
    awaitTrue(() -> received.size() >= emitted.size() || error.get() != null);
    Thread.sleep(50);
    watch.cancel();

    assertThat(error.get()).isNull();
    assertThat(received).extracting(ActivityEvent::getSequence).containsExactlyElementsOf(emitted);
    assertThat(watch.reconnects()).isGreaterThanOrEqualTo(50 / 7);
    List<RecordedCall<WatchRequest>> streams = fake.requests(UserServiceGrpc.getWatchUserActivityMethod());
    assertThat(streams).hasSizeGreaterThanOrEqualTo(50 / 7 + 1);
    assertThat(streams).extracting(call -> call.request().getResumeAfter()).isSorted();
  }

  @Test
  void activityPublisher_requestOne_deliversExactlyOneEventUntilMoreIsRequested() throws Exception {
    FakeUserService fake = users.fake();
    UserResponse user = fake.givenUser();
    ActivityEvent start = fake.emitActivity(user.getId(), "setup", "");
    for (int i = 0; i < 5; i++) {
      fake.emitActivity(user.getId(), "page_view", "/" + i);
    }
    List<ActivityEvent> received = new CopyOnWriteArrayList<>();
    AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();

    users.client().activityPublisher(user.getId(), start.getSequence()).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscription.set(s);
      }

      @Override
      public void onNext(ActivityEvent item) {
        received.add(item);
      }

      @Override
      public void onError(Throwable throwable) {
      }

      @Override
      public void onComplete() {
      }
    });
    subscription.get().request(1);
    awaitTrue(() -> received.size() >= 1);
    Thread.sleep(100);
    int afterOne = received.size();
    subscription.get().request(2);
    awaitTrue(() -> received.size() >= 3);
    Thread.sleep(100);
    int afterThree = received.size();
    subscription.get().cancel();

    assertThat(afterOne).isEqualTo(1);
    assertThat(afterThree).isEqualTo(3);
    assertThat(received).extracting(ActivityEvent::getDetails).containsExactly("/0", "/1", "/2");
  }

  // ---- Pagination ------------------------------------------------------------------------------------

  @Test
  void listAllUsers_overTenThousandUsers_returnsEachExactlyOnce() {
    FakeUserService fake = users.fake();
    List<UserResponse> seeded = fake.givenUsers(10_000);

    List<String> listed = users.client().listAllUsers().map(UserResponse::getId).toList();

    assertThat(listed).hasSize(10_000).doesNotHaveDuplicates();
    Set<String> expected = new HashSet<>();
    seeded.forEach(user -> expected.add(user.getId()));
    assertThat(new HashSet<>(listed)).isEqualTo(expected);
    assertThat(fake.requestCount(UserServiceGrpc.getListUsersMethod())).isEqualTo(10_000 / 20);
  }

  // ---- Client-side validation ------------------------------------------------------------------------

  @Test
  void createUser_invalidRequest_failsFastWithTheServersViolations_andSendsNothing() {
    FakeUserService fake = users.fake();
    CreateUserRequest invalid = CreateUserRequest.newBuilder()
        .setEmail("not-an-email").setName("   ").setRole("Admin!").build();

    CompletableFuture<UserResponse> create = users.client().createUser(invalid);

    assertThat(create).isCompletedExceptionally();
    assertThat(fake.allRequests()).isEmpty();
    Throwable failure = Futures.failureOf(create);
    assertThat(failure).isInstanceOf(InvalidArgumentException.class);
    List<BadRequest.FieldViolation> clientSide = ((InvalidArgumentException) failure).fieldViolations();
    assertThat(clientSide).hasSize(3);
    assertThat(clientSide).isEqualTo(serverViolations(invalid));
    assertThat(((InvalidArgumentException) failure).reason()).contains("INVALID_FIELDS");
  }

  @Test
  void updateUser_invalidRequest_failsFastWithTheServersViolations() {
    FakeUserService fake = users.fake();
    UpdateUserRequest invalid = UpdateUserRequest.newBuilder().setId("").setEmail("x").build();

    Throwable failure = Futures.failureOf(users.client().updateUser(invalid));

    assertThat(fake.allRequests()).isEmpty();
    assertThat(((InvalidArgumentException) failure).fieldViolations()).isEqualTo(serverViolations(invalid));
  }

  /** Sends the request past the client's validation, as another client would, and returns what the server says. */
  private List<BadRequest.FieldViolation> serverViolations(com.google.protobuf.Message request) {
    UserServiceGrpc.UserServiceBlockingStub raw = UserServiceGrpc.newBlockingStub(users.channel())
        .withDeadlineAfter(5, TimeUnit.SECONDS);
    StatusRuntimeException failure = StatusDetails.catchStatus(() -> {
      if (request instanceof CreateUserRequest create) {
        raw.createUser(create);
      } else {
        raw.updateUser((UpdateUserRequest) request);
      }
    });
    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    return StatusDetails.detail(failure, BadRequest.class).getFieldViolationsList();
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(2);
    }
  }
}
