package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the reference server does beyond the contract suite (which user-testkit runs against every store):
 * ordering ties, caps, live watches, flow control, shutdown, health, reflection and failure mapping.
 */
class UserServerTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  private InProcessServer start(UserStore store) throws Exception {
    return start(store, b -> b);
  }

  private InProcessServer start(UserStore store, UnaryOperator<UserServer.Builder> configure)
      throws Exception {
    InProcessServer server = new InProcessServer(store, configure);
    cleanup.register(server);
    return server;
  }

  @Test
  void builder_isSingleUse_aSecondBuildIsRefused() throws Exception {
    UserServer.Builder builder = UserServer.newBuilder(
        InProcessServerBuilder.forName(InProcessServerBuilder.generateName()).directExecutor())
        .setStore(new InMemoryUserStore());
    cleanup.register(builder.build().start());

    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("build() was called already");
  }

  @Test
  void listUsers_equalCreationTimes_areOrderedByIdDescending() throws Exception {
    AtomicInteger ids = new AtomicInteger();
    InProcessServer server = start(new InMemoryUserStore(), b -> b
        .setClock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))
        .setIdGenerator(() -> "id-" + (char) ('a' + ids.getAndIncrement())));
    for (int i = 0; i < 5; i++) {
      create(server, "u" + i + "@example.com");
    }

    ListUsersResponse page = server.blocking().listUsers(ListUsersRequest.getDefaultInstance());

    assertThat(page.getUsersList()).extracting(UserResponse::getId)
        .containsExactly("id-e", "id-d", "id-c", "id-b", "id-a");
  }

  /**
   * user.proto promises newest first by creation time, to the millisecond: users created within one second
   * share {@code created_at} (seconds) and still come back newest first, not by id.
   */
  @Test
  void listUsers_createdWithinOneSecond_areNewestFirst_notById() throws Exception {
    List<UserStore> stores = List.of(new InMemoryUserStore(), JdbcUserStore.open(
        JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:order-" + UUID.randomUUID()).build()));
    for (UserStore store : stores) {
      cleanup.register(store);
      AtomicInteger ids = new AtomicInteger();
      InProcessServer server = start(store, b -> b
          .setClock(new TickingClock(Instant.parse("2026-01-01T00:00:00.100Z"), Duration.ofMillis(3)))
          // Ids that sort against creation order, so that an order by id would show.
          .setIdGenerator(() -> "id-" + (char) ('z' - ids.getAndIncrement())));
      for (int i = 0; i < 6; i++) {
        create(server, "u" + i + "@example.com");
      }

      ListUsersResponse page = server.blocking().listUsers(ListUsersRequest.getDefaultInstance());

      assertThat(page.getUsersList()).extracting(UserResponse::getCreatedAt).containsOnly(1767225600L);
      assertThat(page.getUsersList()).as("on %s", store).extracting(UserResponse::getId)
          .containsExactly("id-u", "id-v", "id-w", "id-x", "id-y", "id-z");
    }
  }

  /** A clock that moves forward by a fixed step every time it is read. */
  private static final class TickingClock extends Clock {
    private final AtomicLong nanos;
    private final long stepNanos;

    TickingClock(Instant start, Duration step) {
      this.nanos = new AtomicLong(start.getEpochSecond() * 1_000_000_000L + start.getNano());
      this.stepNanos = step.toNanos();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(0, nanos.getAndAdd(stepNanos));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void listUsers_limitOverMaximum_isCappedAtOneThousand() throws Exception {
    InMemoryUserStore store = new InMemoryUserStore();
    for (int i = 0; i < 1001; i++) {
      store.create(new NewUser("id-" + i, "u" + i + "@example.com", "U", "viewer", i), Optional.empty());
    }
    InProcessServer server = start(store);

    ListUsersResponse page = server.blocking().listUsers(ListUsersRequest.newBuilder().setLimit(50_000).build());

    assertThat(page.getUsersCount()).isEqualTo(1000);
    assertThat(page.getTotal()).isEqualTo(1001);
    assertThat(page.getNextPageToken()).isNotEmpty();
  }

  @Test
  void watchUserActivity_live_receivesEventsAfterRegistration() throws Exception {
    InProcessServer server = start(new InMemoryUserStore());
    UserResponse user = create(server, "live@example.com");
    Recorder recorder = new Recorder();
    UserServiceGrpc.newStub(server.channel())
        .watchUserActivity(WatchRequest.newBuilder().setUserId(user.getId()).build(), recorder);
    TestCalls.awaitWatches(server.server(), 1);

    server.blocking().updateUser(UpdateUserRequest.newBuilder().setId(user.getId()).setRole("admin").build());

    ActivityEvent event = recorder.next();
    assertThat(event.getAction()).isEqualTo("user.updated");
    assertThat(event.getDetails()).isEqualTo("role");
  }

  @Test
  void watchUserActivity_cancelled_freesTheWatch() throws Exception {
    InProcessServer server = start(new InMemoryUserStore());
    UserResponse user = create(server, "cancel@example.com");
    ClientCall<WatchRequest, ActivityEvent> call = server.channel()
        .newCall(UserServiceGrpc.getWatchUserActivityMethod(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {}, new Metadata());
    call.sendMessage(WatchRequest.newBuilder().setUserId(user.getId()).build());
    call.halfClose();
    call.request(1);
    TestCalls.awaitWatches(server.server(), 1);

    call.cancel("test is done", null);

    TestCalls.awaitWatches(server.server(), 0);
  }

  @Test
  void watchUserActivity_watcherThatDoesNotRead_isEndedAsTooSlowWithoutSlowingWriters() throws Exception {
    InProcessServer server = start(new InMemoryUserStore(), b -> b.setMaxPendingEventsPerWatch(10));
    UserResponse user = create(server, "slow@example.com");
    BlockingQueue<Status> closed = new LinkedBlockingQueue<>();
    ClientCall<WatchRequest, ActivityEvent> call = server.channel()
        .newCall(UserServiceGrpc.getWatchUserActivityMethod(), CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.add(Status.fromCodeValue(status.getCode().value()).withDescription(
            StatusProto.fromStatusAndTrailers(status, trailers).getDetails(0).toString()));
      }
    }, new Metadata());
    call.sendMessage(WatchRequest.newBuilder().setUserId(user.getId()).build());
    call.halfClose();
    // No call.request(): the watcher never asks for a message, so flow control never lets one through.
    TestCalls.awaitWatches(server.server(), 1);

    long start = System.nanoTime();
    for (int i = 0; i < 50; i++) {
      server.blocking().recordActivity(RecordActivityRequest.newBuilder().setUserId(user.getId())
          .setAction("page_view").build());
    }
    long writesMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    Status status = closed.poll(10, TimeUnit.SECONDS);
    assertThat(status).isNotNull();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("WATCH_TOO_SLOW");
    assertThat(writesMillis).as("50 writes beside a stuck watcher").isLessThan(5_000);
    TestCalls.awaitWatches(server.server(), 0);
  }

  @Test
  void shutdown_endsWatchesWithUnavailable() throws Exception {
    InProcessServer server = start(new InMemoryUserStore());
    UserResponse user = create(server, "bye@example.com");
    Recorder recorder = new Recorder();
    UserServiceGrpc.newStub(server.channel())
        .watchUserActivity(WatchRequest.newBuilder().setUserId(user.getId()).build(), recorder);
    TestCalls.awaitWatches(server.server(), 1);

    server.server().shutdown();

    Throwable error = recorder.error();
    assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(reason(error)).isEqualTo("SERVER_SHUTTING_DOWN");
  }

  @Test
  void storeUnavailable_isUnavailable_andHealthTurnsNotServing() throws Exception {
    AtomicBoolean down = new AtomicBoolean();
    UserStore flaky = failing(new InMemoryUserStore(), () -> down.get()
        ? new StoreUnavailableException(new SQLException("Connection refused to db-7:5432")) : null);
    InProcessServer server = start(flaky, b -> b.setHealthCheckInterval(Duration.ofMillis(50)));
    UserResponse user = create(server, "health@example.com");
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(server.channel());
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);

    down.set(true);

    assertThatThrownBy(() -> server.blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).isEqualTo("the user store is unavailable");
          assertThat(reason(e)).isEqualTo("STORE_UNAVAILABLE");
        });
    awaitHealth(health, "user.UserService", ServingStatus.NOT_SERVING);

    down.set(false);

    awaitHealth(health, "", ServingStatus.SERVING);
    assertThat(server.blocking().getUser(GetUserRequest.newBuilder().setId(user.getId()).build()).getId())
        .isEqualTo(user.getId());
  }

  @Test
  void unexpectedFailure_isInternalWithGenericMessage() throws Exception {
    UserStore broken = failing(new InMemoryUserStore(),
        () -> new IllegalStateException("SELECT * FROM users -- at org.h2.jdbc.JdbcStatement"));
    InProcessServer server = start(broken);

    assertThatThrownBy(() -> create(server, "boom@example.com"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).isEqualTo("internal error");
          assertThat(e.getStatus().getCause()).isNull();
          assertThat(StatusProto.fromThrowable(e).toString()).doesNotContain("SELECT", "h2");
          assertThat(reason(e)).isEqualTo("INTERNAL_ERROR");
        });
  }

  @Test
  void reflection_listsTheUserService() throws Exception {
    InProcessServer server = start(new InMemoryUserStore());
    BlockingQueue<ServerReflectionResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(server.channel())
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            responses.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });

    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());

    ServerReflectionResponse response = responses.poll(5, TimeUnit.SECONDS);
    requests.onCompleted();
    assertThat(response.getListServicesResponse().getServiceList())
        .extracting(s -> s.getName()).contains("user.UserService", "grpc.health.v1.Health");
  }

  private static UserResponse create(InProcessServer server, String email) {
    return server.blocking().createUser(CreateUserRequest.newBuilder().setEmail(email).setName("N").build());
  }

  private static void awaitHealth(HealthGrpc.HealthBlockingStub health, String service, ServingStatus expected) {
    Await.until("health of '" + service + "' to become " + expected,
        () -> health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus() == expected);
  }

  private static String reason(Throwable e) {
    try {
      return StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorInfo.class).getReason();
    } catch (InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
  }

  /** Returns {@code store} with every data call first asking {@code failure} whether to throw instead. */
  private static UserStore failing(UserStore store, Supplier<RuntimeException> failure) {
    return new ForwardingUserStore(store) {
      @Override
      protected void beforeCall(String method) {
        RuntimeException e = failure.get();
        if (e != null && !method.equals("lastSequence")) {
          throw e;
        }
      }
    };
  }

  /** Collects a watch stream. */
  private static final class Recorder implements StreamObserver<ActivityEvent> {
    private final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();

    @Override
    public void onNext(ActivityEvent value) {
      signals.add(value);
    }

    @Override
    public void onError(Throwable t) {
      signals.add(t);
    }

    @Override
    public void onCompleted() {
      signals.add("completed");
    }

    ActivityEvent next() throws InterruptedException {
      Object signal = signals.poll(5, TimeUnit.SECONDS);
      assertThat(signal).isInstanceOf(ActivityEvent.class);
      return (ActivityEvent) signal;
    }

    Throwable error() throws InterruptedException {
      Object signal = signals.poll(5, TimeUnit.SECONDS);
      assertThat(signal).isInstanceOf(Throwable.class);
      return (Throwable) signal;
    }
  }

}
