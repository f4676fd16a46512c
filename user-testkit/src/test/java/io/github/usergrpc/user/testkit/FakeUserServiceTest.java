package io.github.usergrpc.user.testkit;

import static io.github.usergrpc.user.testkit.StatusDetails.catchStatus;
import static io.github.usergrpc.user.testkit.StatusDetails.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.service.UserServiceCore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fake on its own: lifecycle, seeding, ids and clock, every fault; its record of calls is {@link RecordedCallsTest}'s. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FakeUserServiceTest {

  /** How long a condition may take before the test fails: generous, for a machine busy with other builds. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final FakeUserServiceExtension extension = new FakeUserServiceExtension();
  /** Closes the fakes a test starts on its own, should it fail before it closes them. */
  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  // ---- Lifecycle -------------------------------------------------------------------------------------

  @Test
  void start_calledTwice_returnsTheRunningFake() {
    FakeUserService fake = extension.fake();

    assertThat(fake.start()).isSameAs(fake);
    assertThat(fake.givenUser().getId()).isNotEmpty();
  }

  @Test
  void close_calledTwice_closesOnceAndShutsDownWhatItHandedOut() {
    FakeUserService fake = cleanup.register(FakeUserService.newBuilder().build().start());
    UserClient client = fake.client();
    UserClient other = fake.newClient(builder -> builder.setTimeout(Duration.ofSeconds(1)));

    fake.close();
    fake.close();

    assertThat(fake.isClosed()).isTrue();
    assertThatThrownBy(() -> client.getUser("x")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> other.getUser("x")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(fake::channel).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(fake::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void close_handedOutChannel_isShutDown() {
    FakeUserService fake = cleanup.register(FakeUserService.newBuilder().build().start());
    var channel = fake.channel();

    fake.close();

    assertThat(channel.isShutdown()).isTrue();
  }

  @Test
  void channel_beforeStart_throwsIllegalState() {
    try (FakeUserService fake = FakeUserService.newBuilder().build()) {
      assertThatThrownBy(fake::channel).isInstanceOf(IllegalStateException.class).hasMessageContaining("start()");
      assertThatThrownBy(fake::givenUser).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void close_withFrozenCall_cancelsItAndReturnsQuickly() throws Exception {
    FakeUserService fake = cleanup.register(FakeUserService.newBuilder().build().start());
    Future<UserResponse> call = frozenGetUser(fake, "someone");

    long start = System.nanoTime();
    fake.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasRootCauseInstanceOf(StatusRuntimeException.class);
  }

  // ---- Seeding ---------------------------------------------------------------------------------------

  @Test
  void givenUser_defaults_areReadableAndNumbered() {
    UserResponse first = extension.fake().givenUser();
    UserResponse second = extension.fake().givenUser();

    assertThat(first.getEmail()).isEqualTo("user1@example.com");
    assertThat(first.getName()).isEqualTo("User 1");
    assertThat(first.getRole()).isEqualTo("viewer");
    assertThat(first.getEtag()).isNotEmpty();
    assertThat(second.getEmail()).isEqualTo("user2@example.com");
    assertThat(blocking().getUser(GetUserRequest.newBuilder().setId(first.getId()).build())).isEqualTo(first);
  }

  @Test
  void givenUser_customizer_overridesTheDefaults() {
    UserResponse ada = extension.fake().givenUser(u -> u.setName("Ada Lovelace").setRole("admin"));

    assertThat(ada.getName()).isEqualTo("Ada Lovelace");
    assertThat(ada.getRole()).isEqualTo("admin");
    assertThat(ada.getEmail()).isEqualTo("user1@example.com");
  }

  @Test
  void givenUser_invalidRequest_failsAsTheServiceWould() {
    assertThatThrownBy(() -> extension.fake().givenUser(u -> u.setEmail("not-an-email")))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("INVALID_ARGUMENT");
  }

  @Test
  void givenUsers_createsDistinctUsersThroughTheService() {
    List<UserResponse> users = extension.fake().givenUsers(25);

    assertThat(users).extracting(UserResponse::getId).doesNotHaveDuplicates().hasSize(25);
    assertThat(blocking().listUsers(ListUsersRequest.getDefaultInstance()).getTotal()).isEqualTo(25);
  }

  @Test
  void seeding_isNeitherRecordedNorFaulted() {
    FakeUserService fake = extension.fake();
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 1, Status.INTERNAL);
    fake.makeStoreUnavailable();
    fake.restoreStore();

    UserResponse seeded = fake.givenUser();
    fake.emitActivity(seeded.getId(), "page_view", "/");

    assertThat(fake.allRequests()).isEmpty();
    assertThatThrownBy(() -> blocking().createUser(CreateUserRequest.newBuilder()
        .setEmail("real@example.com").setName("Real").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
  }

  @Test
  void emitActivity_reachesWatchersOfTheUser() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    ActivityEvent before = fake.emitActivity(user.getId(), "setup", "");
    Iterator<ActivityEvent> stream = blocking().watchUserActivity(WatchRequest.newBuilder()
        .setUserId(user.getId()).setResumeAfter(before.getSequence()).build());

    ActivityEvent emitted = fake.emitActivity(user.getId(), "page_view", "/billing");

    assertThat(stream.next()).isEqualTo(emitted);
    assertThat(emitted.getAction()).isEqualTo("page_view");
    assertThat(emitted.getDetails()).isEqualTo("/billing");
    assertThat(emitted.getSequence()).isGreaterThan(before.getSequence());
  }

  // ---- Deterministic ids and clock -------------------------------------------------------------------

  @Test
  void useDeterministicIds_numbersUsersFromOneInEachFake() {
    FakeUserService.Builder builder = FakeUserService.newBuilder().useDeterministicIds();
    try (FakeUserService first = builder.build().start(); FakeUserService second = builder.build().start()) {
      assertThat(first.givenUser().getId()).isEqualTo("user-1");
      assertThat(first.givenUser().getId()).isEqualTo("user-2");
      assertThat(second.givenUser().getId()).isEqualTo("user-1");
    }
  }

  @Test
  void defaultIds_areRandomUuids() {
    String id = extension.fake().givenUser().getId();

    assertThat(UUID.fromString(id).toString()).isEqualTo(id);
  }

  @Test
  void setIdGenerator_choosesTheIds() {
    try (FakeUserService fake = FakeUserService.newBuilder().setIdGenerator(() -> "fixed-id").build().start()) {
      assertThat(fake.givenUser().getId()).isEqualTo("fixed-id");
    }
  }

  @Test
  void setClock_fixed_stampsUsersAndEvents() {
    Instant now = Instant.parse("2030-01-02T03:04:05Z");
    try (FakeUserService fake = FakeUserService.newBuilder().setClock(Clock.fixed(now, ZoneOffset.UTC)).build()
        .start()) {
      UserResponse user = fake.givenUser();
      ActivityEvent event = fake.emitActivity(user.getId(), "page_view", "");

      assertThat(user.getCreatedAt()).isEqualTo(now.getEpochSecond());
      assertThat(user.getUpdatedAt()).isEqualTo(now.getEpochSecond());
      assertThat(event.getTimestamp()).isEqualTo(now.getEpochSecond());
    }
  }

  // ---- failNext --------------------------------------------------------------------------------------

  @Test
  void failNext_failsTheNextCallsThenLetsThemThrough() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    fake.failNext(UserServiceGrpc.getGetUserMethod(), 2, Status.UNAVAILABLE.withDescription("scripted"));
    GetUserRequest request = GetUserRequest.newBuilder().setId(user.getId()).build();

    StatusRuntimeException first = catchStatus(() -> blocking().getUser(request));
    StatusRuntimeException second = catchStatus(() -> blocking().getUser(request));
    UserResponse third = blocking().getUser(request);

    assertThat(first.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(first.getStatus().getDescription()).isEqualTo("scripted");
    assertThat(errorInfo(first).getReason()).isEqualTo("UNAVAILABLE");
    assertThat(errorInfo(first).getDomain()).isEqualTo(UserServiceContractTest.ERROR_DOMAIN);
    assertThat(second.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(third).isEqualTo(user);
    assertThat(fake.requests(UserServiceGrpc.getGetUserMethod()))
        .extracting(call -> call.code().orElseThrow())
        .containsExactly(Status.Code.UNAVAILABLE, Status.Code.UNAVAILABLE, Status.Code.OK);
  }

  @Test
  void failNext_richStatus_reachesTheClientAsGiven() {
    FakeUserService fake = extension.fake();
    com.google.rpc.Status rich = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .setMessage("billing is frozen")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("ACCOUNT_FROZEN").setDomain("billing.example.com")
            .putMetadata("account", "42").build()))
        .addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(BadRequest.FieldViolation.newBuilder()
            .setField("email").setDescription("blocked domain")).build()))
        .build();
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 1, rich);

    StatusRuntimeException failure = catchStatus(() -> blocking().createUser(CreateUserRequest.newBuilder()
        .setEmail("a@example.com").setName("A").build()));

    assertThat(StatusProto.fromThrowable(failure)).isEqualTo(rich);
    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void failNext_appliesBeforeValidation() {
    FakeUserService fake = extension.fake();
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 1, Status.RESOURCE_EXHAUSTED);
    CreateUserRequest invalid = CreateUserRequest.newBuilder().setEmail("nope").build();

    assertThat(catchStatus(() -> blocking().createUser(invalid)).getStatus().getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(catchStatus(() -> blocking().createUser(invalid)).getStatus().getCode())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void failNext_severalScripts_failInTheOrderQueued() {
    FakeUserService fake = extension.fake();
    fake.failNext(UserServiceGrpc.getListUsersMethod(), 1, Status.ABORTED);
    fake.failNext(UserServiceGrpc.getListUsersMethod(), 1, Status.INTERNAL);
    ListUsersRequest request = ListUsersRequest.getDefaultInstance();

    assertThat(catchStatus(() -> blocking().listUsers(request)).getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(catchStatus(() -> blocking().listUsers(request)).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(blocking().listUsers(request).getTotal()).isZero();
  }

  @Test
  void failNext_otherMethodsAreUnaffected() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    fake.failNext(UserServiceGrpc.getListUsersMethod(), 1, Status.INTERNAL);

    assertThat(blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user);
  }

  @Test
  void failNext_badArguments_areRejected() {
    FakeUserService fake = extension.fake();

    assertThatThrownBy(() -> fake.failNext(UserServiceGrpc.getGetUserMethod(), 1, Status.OK))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OK");
    assertThatThrownBy(() -> fake.failNext(UserServiceGrpc.getGetUserMethod(), 0, Status.INTERNAL))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("times: 0");
    assertThatThrownBy(() -> fake.failNext(HealthGrpc.getCheckMethod(), 1, Status.INTERNAL))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grpc.health.v1.Health/Check");
    assertThatThrownBy(() -> fake.delay(UserServiceGrpc.getGetUserMethod(), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fake.dropWatchAfter(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_badSettings_areRejectedAsTheServiceCoreRejectsThem() {
    FakeUserService.Builder builder = FakeUserService.newBuilder();

    assertThatThrownBy(() -> builder.setMaxPendingEventsPerWatch(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxPending: 1 (expected: >= 2)")
        .hasMessage(catchThrowable(() -> UserServiceCore.newBuilder().setMaxPendingEventsPerWatch(1)).getMessage());
    assertThatThrownBy(() -> builder.setRetainedEvents(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("events: 0 (expected: >= 1)");
    assertThat(builder.setMaxPendingEventsPerWatch(2)).isSameAs(builder);
  }

  // ---- delay -----------------------------------------------------------------------------------------

  @Test
  void delay_holdsEveryCallForTheDelay_untilSetToZero() {
    FakeUserService fake = extension.fake();
    fake.delay(UserServiceGrpc.getListUsersMethod(), Duration.ofMillis(150));

    long start = System.nanoTime();
    blocking().listUsers(ListUsersRequest.getDefaultInstance());
    blocking().listUsers(ListUsersRequest.getDefaultInstance());
    Duration twoCalls = Duration.ofNanos(System.nanoTime() - start);
    fake.delay(UserServiceGrpc.getListUsersMethod(), Duration.ZERO);
    blocking().listUsers(ListUsersRequest.getDefaultInstance());

    assertThat(twoCalls).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(fake.requestCount(UserServiceGrpc.getListUsersMethod())).isEqualTo(3);
  }

  @Test
  void delay_callCancelledByItsDeadline_isNeverHandled() throws Exception {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    fake.delay(UserServiceGrpc.getUpdateUserMethod(), Duration.ofMillis(200));

    StatusRuntimeException failure = catchStatus(() -> blocking().withDeadlineAfter(30, TimeUnit.MILLISECONDS)
        .updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setName("Changed").build()));
    RecordedCall<UpdateUserRequest> cancelled = fake.awaitCancellation(UserServiceGrpc.getUpdateUserMethod(), WAIT);
    Thread.sleep(300);

    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(cancelled.status()).isEmpty();
    assertThat(blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getName())
        .isEqualTo(user.getName());
    assertThat(fake.requests(UserServiceGrpc.getUpdateUserMethod()).get(0).status()).isEmpty();
  }

  // ---- freeze ----------------------------------------------------------------------------------------

  @Test
  void freeze_holdsCallsUntilUnfreeze_withoutBlockingTheCaller() throws Exception {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();

    Future<UserResponse> held = frozenGetUser(fake, user.getId());
    Thread.sleep(50);
    boolean doneWhileFrozen = held.isDone();
    int othersWhileFrozen = blocking().listUsers(ListUsersRequest.getDefaultInstance()).getUsersCount();
    fake.unfreeze(UserServiceGrpc.getGetUserMethod());

    assertThat(doneWhileFrozen).isFalse();
    assertThat(othersWhileFrozen).isEqualTo(1);
    assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo(user);
    assertThat(blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user);
  }

  @Test
  void freeze_deadlineReachesTheClient_andTheServerSeesTheCancellation() {
    FakeUserService fake = extension.fake();
    fake.freeze(UserServiceGrpc.getGetUserMethod());

    long start = System.nanoTime();
    StatusRuntimeException failure = catchStatus(() -> blocking().withDeadlineAfter(50, TimeUnit.MILLISECONDS)
        .getUser(GetUserRequest.newBuilder().setId("anyone").build()));
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    RecordedCall<GetUserRequest> cancelled = fake.awaitCancellation(UserServiceGrpc.getGetUserMethod(), WAIT);
    fake.unfreeze(UserServiceGrpc.getGetUserMethod());

    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(elapsed).isLessThan(Duration.ofMillis(1000));
    assertThat(cancelled.request().getId()).isEqualTo("anyone");
    assertThat(cancelled.timeout()).hasValueSatisfying(t -> assertThat(t).isLessThanOrEqualTo(Duration.ofMillis(50)));
    assertThat(cancelled.status()).isEmpty();
  }

  @Test
  void reset_releasesFrozenCalls() throws Exception {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    Future<UserResponse> held = frozenGetUser(fake, user.getId());

    fake.reset();

    assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo(user);
  }

  // ---- dropWatchAfter --------------------------------------------------------------------------------

  @Test
  void dropWatchAfter_endsEachStreamWithUnavailableAfterThatManyEvents() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    ActivityEvent start = fake.emitActivity(user.getId(), "setup", "");
    fake.dropWatchAfter(3);
    for (int i = 0; i < 5; i++) {
      fake.emitActivity(user.getId(), "page_view", "/" + i);
    }

    Iterator<ActivityEvent> stream = blocking().watchUserActivity(WatchRequest.newBuilder()
        .setUserId(user.getId()).setResumeAfter(start.getSequence()).build());
    List<String> received = List.of(stream.next().getDetails(), stream.next().getDetails(),
        stream.next().getDetails());
    StatusRuntimeException dropped = catchStatus(stream::hasNext);

    assertThat(received).containsExactly("/0", "/1", "/2");
    assertThat(dropped.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(fake.requests(UserServiceGrpc.getWatchUserActivityMethod()))
        .singleElement().satisfies(call -> assertThat(call.code()).contains(Status.Code.UNAVAILABLE));
  }

  @Test
  void dropWatchAfter_droppedStream_isRemovedFromTheServer() throws Exception {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    ActivityEvent start = fake.emitActivity(user.getId(), "setup", "");
    fake.dropWatchAfter(1);
    fake.emitActivity(user.getId(), "page_view", "");

    Iterator<ActivityEvent> stream = blocking().watchUserActivity(WatchRequest.newBuilder()
        .setUserId(user.getId()).setResumeAfter(start.getSequence()).build());
    stream.next();
    catchStatus(stream::hasNext);

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (fake.activeWatches() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(fake.activeWatches()).isZero();
  }

  // ---- store outage ----------------------------------------------------------------------------------

  @Test
  void makeStoreUnavailable_failsCallsWithStoreUnavailable_untilRestored() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    GetUserRequest request = GetUserRequest.newBuilder().setId(user.getId()).build();

    fake.makeStoreUnavailable();
    StatusRuntimeException failure = catchStatus(() -> blocking().getUser(request));
    fake.restoreStore();

    assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(errorInfo(failure).getReason()).isEqualTo("STORE_UNAVAILABLE");
    assertThat(blocking().getUser(request)).isEqualTo(user);
  }

  @Test
  void makeStoreUnavailable_keepsTheServerLogQuietAboutTheSimulatedOutage() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    Logger serverLog = Logger.getLogger("io.github.usergrpc.user.service.internal.ErrorMapper");
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(record);
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    handler.setLevel(Level.ALL);
    serverLog.addHandler(handler);
    try {
      fake.makeStoreUnavailable();
      catchStatus(() -> blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build()));
      fake.restoreStore();
    } finally {
      serverLog.removeHandler(handler);
    }

    assertThat(logged).filteredOn(record -> record.getLevel().intValue() >= Level.WARNING.intValue()).isEmpty();
  }

  // ---- reset -----------------------------------------------------------------------------------------

  @Test
  void reset_clearsFaultsAndRecordedCalls_andKeepsUsers() {
    FakeUserService fake = extension.fake();
    UserResponse user = fake.givenUser();
    GetUserRequest request = GetUserRequest.newBuilder().setId(user.getId()).build();
    blocking().getUser(request);
    fake.failNext(UserServiceGrpc.getGetUserMethod(), 5, Status.INTERNAL);
    fake.delay(UserServiceGrpc.getGetUserMethod(), Duration.ofSeconds(10));
    fake.dropWatchAfter(1);
    fake.makeStoreUnavailable();

    fake.reset();

    assertThat(fake.allRequests()).isEmpty();
    assertThat(blocking().getUser(request)).isEqualTo(user);
    assertThat(fake.requests(UserServiceGrpc.getGetUserMethod())).singleElement()
        .satisfies(call -> assertThat(call.code()).contains(Status.Code.OK));
  }

  /** Freezes GetUser, starts a call of it, and returns once the fake holds the call. */
  static Future<UserResponse> frozenGetUser(FakeUserService fake, String id) {
    fake.freeze(UserServiceGrpc.getGetUserMethod());
    Future<UserResponse> held = UserServiceGrpc.newFutureStub(fake.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getUser(GetUserRequest.newBuilder().setId(id).build());
    fake.awaitRequests(UserServiceGrpc.getGetUserMethod(), 1, WAIT);
    return held;
  }

  private UserServiceGrpc.UserServiceBlockingStub blocking() {
    return UserServiceGrpc.newBlockingStub(extension.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static ErrorInfo errorInfo(StatusRuntimeException failure) {
    return detail(failure, ErrorInfo.class);
  }
}
