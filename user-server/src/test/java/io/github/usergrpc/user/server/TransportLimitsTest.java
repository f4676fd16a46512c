package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The limit options as the server applies them, over real TCP (Netty), one test per limit. */
class TransportLimitsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final ExecutorService executor = cleanup.register(Executors.newFixedThreadPool(8));
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger findsInFlight = new AtomicInteger();
  private final AtomicInteger mostFindsInFlight = new AtomicInteger();
  private final List<TestCalls.Started> open = new ArrayList<>();
  private volatile boolean findBlocks;
  private UserServer server;
  private ManagedChannel channel;

  /** Lets held calls go and cancels open watches; then the cleanup closes channel, server and executor. */
  @AfterEach
  void release() {
    release.countDown();
    open.forEach(TestCalls.Started::cancel);
  }

  @Test
  void maxMessageSize_largerRequest_isResourceExhausted_smallerOneReachesValidation() throws Exception {
    start("--max-message-size", "40000");

    Closed tooLarge = create("a".repeat(50_000));
    Closed fits = create("a".repeat(30_000));

    assertThat(tooLarge.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(fits.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(fits.reason()).isEqualTo("INVALID_FIELDS");
    assertThat(create("Ada").code()).isEqualTo(Status.Code.OK);
  }

  @Test
  void maxCallsPerConnection_callsBeyondItWaitUntilOneEnds() throws Exception {
    start("--max-calls-per-connection", "2");
    findBlocks = true;
    UserServiceGrpc.UserServiceFutureStub stub = UserServiceGrpc.newFutureStub(channel)
        .withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    List<ListenableFuture<UserResponse>> calls = new ArrayList<>();

    for (int i = 0; i < 5; i++) {
      calls.add(stub.getUser(GetUserRequest.newBuilder().setId("u1").build()));
    }
    awaitFindsInFlight(2);
    Thread.sleep(500);

    assertThat(mostFindsInFlight.get()).as("calls the server ran at once on one connection").isEqualTo(2);
    assertThat(calls).noneMatch(ListenableFuture::isDone);
    release.countDown();
    for (ListenableFuture<UserResponse> call : calls) {
      assertThat(call.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).getId()).isEqualTo("u1");
    }
    assertThat(mostFindsInFlight.get()).isEqualTo(2);
  }

  @Test
  void maxWatchesAndMaxWatchesPerUser_refuseWatchesPastThem() throws Exception {
    start("--max-watches", "2", "--max-watches-per-user", "1");

    TestCalls.Started first = watch("u1");
    TestCalls.awaitWatches(server, 1);
    Closed secondOnU1 = watch("u1").closed().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    watch("u2");
    TestCalls.awaitWatches(server, 2);
    Closed third = watch("u3").closed().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    assertThat(secondOnU1.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(secondOnU1.errorInfo().getMetadataMap()).containsEntry("per", "user");
    assertThat(third.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(third.errorInfo().getMetadataMap()).containsEntry("per", "server");
    assertThat(first.closed()).isNotDone();
  }

  @Test
  void defaultDeadline_endsAStuckCallSentWithoutOne() throws Exception {
    start("--default-deadline", "300ms");
    findBlocks = true;

    Closed closed = TestCalls.start(channel, UserServiceGrpc.getGetUserMethod(),
        GetUserRequest.newBuilder().setId("u1").build(), new Metadata(), CallOptions.DEFAULT)
        .closed().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    assertThat(closed.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(closed.status().getDescription()).endsWith("the server's default of 300 ms");
  }

  private void start(String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of("--port", "0", "--store", "memory"));
    all.addAll(List.of(args));
    InMemoryUserStore users = new InMemoryUserStore();
    for (String id : List.of("u1", "u2", "u3")) {
      users.create(new NewUser(id, id + "@example.com", id, "viewer", 0), Optional.empty());
    }
    UserStore store = new ForwardingUserStore(users) {
      @Override
      protected void beforeCall(String method) {
        if (!method.equals("find") || !findBlocks) {
          return;
        }
        mostFindsInFlight.accumulateAndGet(findsInFlight.incrementAndGet(), Math::max);
        try {
          release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          findsInFlight.decrementAndGet();
        }
      }
    };
    server = cleanup.register(UserServerMain.newServer(ServerOptions.parse(all, Map.of()), store, executor).start());
    channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
  }

  private Closed create(String name) {
    return TestCalls.call(channel, UserServiceGrpc.getCreateUserMethod(),
        CreateUserRequest.newBuilder().setEmail("big@example.com").setName(name).build(), new Metadata(),
        TIMEOUT);
  }

  private TestCalls.Started watch(String userId) {
    TestCalls.Started started = TestCalls.watch(channel, userId);
    open.add(started);
    return started;
  }

  private void awaitFindsInFlight(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (findsInFlight.get() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + count + " calls in flight, have " + findsInFlight.get());
      }
      Thread.sleep(5);
    }
  }

}
