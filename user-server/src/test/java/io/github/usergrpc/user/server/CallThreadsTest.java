package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Which thread runs a call: a store that blocks is called on the pool of {@link CallThreads} only, never on
 * an event loop (gRPC's or the HTTP port's); a full pool refuses calls at once; the memory store's calls run
 * on the event loop, watches, deadlines and cancellation included.
 */
class CallThreadsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String POOL_THREAD = "test-store-call";

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final AtomicInteger poolThreads = new AtomicInteger();
  private final ExecutorService pool = cleanup.register(Executors.newFixedThreadPool(4, runnable -> {
    Thread thread = new Thread(runnable, POOL_THREAD + "-" + poolThreads.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }));

  @Test
  void jdbcStore_everyStoreCallOfACallRunsOnThePool_neverOnAnEventLoop() throws Exception {
    ThreadRecordingStore store = new ThreadRecordingStore(h2Store());
    String inProcessName = "call-threads-" + UUID.randomUUID();
    UserServer server = UserServerMain.newServer(ServerOptions.parse(List.of("--port", "0", "--store",
        "h2:./unused"), Map.of()), 0, store, pool, null, inProcessName, null);
    start(server);
    ManagedChannel channel = channel(server);
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    UserResponse ada = users.createUser(CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada")
        .build());
    users.getUser(GetUserRequest.newBuilder().setId(ada.getId()).build());
    users.listUsers(ListUsersRequest.getDefaultInstance());
    // A watch that resumes replays from the store in its handler and on every onReady.
    watchReplayedAndLive(server, channel, users, ada.getId());
    // The HTTP port, on Armeria's event loops with the service as user-server runs it.
    ManagedChannel local = cleanup.register(InProcessChannelBuilder.forName(inProcessName).directExecutor().build());
    HttpEdge http = cleanup.register(HttpEdge.newBuilder(server.userService(), local).setCallsOnEventLoop(true)
        .build().start());
    HttpResponse<String> got = LoopbackHttp.newClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + http.port() + "/v1/users/" + ada.getId())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(got.statusCode()).isEqualTo(200);

    Map<String, Set<String>> threads = store.callThreads();
    assertThat(threads.keySet()).contains("create", "find", "update", "userActivityAfter");
    threads.forEach((method, names) -> assertThat(names).as("threads of the store's " + method)
        .allMatch(name -> name.startsWith(POOL_THREAD)));
    assertThat(store.eventLoopCalls()).isEmpty();
  }

  @Test
  void blockingStoreOnTheTransportThread_isSeenOnTheEventLoop() throws Exception {
    // The check above can fail: without the pool, the same store is called on Netty's event loop.
    ThreadRecordingStore store = new ThreadRecordingStore(h2Store());
    UserServer server = UserServer.newBuilder(NettyServerBuilder.forPort(0).directExecutor()).setStore(store)
        .setCallThreads(CallThreads.onTransport()).build();
    start(server);

    Closed closed = TestCalls.call(channel(server), UserServiceGrpc.getGetUserMethod(),
        GetUserRequest.newBuilder().setId(UUID.randomUUID().toString()).build(), new Metadata(), TIMEOUT);

    assertThat(closed.code()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(store.eventLoopCalls()).contains("find");
  }

  @Test
  void fullPool_refusesAtOnceWithStoreUnavailable_andDropsAQueuedCallWhoseDeadlinePassed() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger finds = new AtomicInteger();
    InMemoryUserStore users = new InMemoryUserStore();
    UserStore store = new ForwardingUserStore(users) {
      @Override
      protected void beforeCall(String method) {
        if (method.equals("find")) {
          finds.incrementAndGet();
          await(release);
        }
      }
    };
    ExecutorService one = Executors.newSingleThreadExecutor();
    CallThreads threads = CallThreads.onPool(one, 1);
    // The client gives up on its own timer, which can run before the server's copy of the deadline: the test
    // waits for the server's call contexts to end before it frees the pool.
    AtomicInteger endedContexts = new AtomicInteger();
    NettyServerBuilder transport = NettyServerBuilder.forPort(0).directExecutor();
    transport.intercept(new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        Context.current().addListener(context -> endedContexts.incrementAndGet(), Runnable::run);
        return next.startCall(call, headers);
      }
    });
    UserServer server = UserServer.newBuilder(transport).setStore(store).setCallThreads(threads).build();
    start(server);
    // Shut down before the server, as it holds a call: the server need not wait for it.
    cleanup.register(one);
    ManagedChannel channel = channel(server);
    GetUserRequest get = GetUserRequest.newBuilder().setId(UUID.randomUUID().toString()).build();

    TestCalls.Started running = TestCalls.start(channel, UserServiceGrpc.getGetUserMethod(), get, new Metadata(),
        CallOptions.DEFAULT.withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    Await.until("the first call in the store", () -> finds.get() == 1);
    TestCalls.Started queued = TestCalls.start(channel, UserServiceGrpc.getGetUserMethod(), get, new Metadata(),
        CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS));
    Await.until("the second call queued", () -> threads.queuedCalls() == 1);
    long before = System.nanoTime();
    Closed refused = TestCalls.call(channel, UserServiceGrpc.getGetUserMethod(), get, new Metadata(), TIMEOUT);
    long refusedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
    Closed expired = queued.closed().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Await.until("the refused and the expired call ended on the server", () -> endedContexts.get() == 2);
    release.countDown();
    Closed first = running.closed().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    assertThat(refused.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.reason()).isEqualTo("STORE_UNAVAILABLE");
    assertThat(refused.trailers().get(Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("1000");
    assertThat(refusedMillis).as("refused without waiting for the pool").isLessThan(TIMEOUT.toMillis() / 2);
    assertThat(expired.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(first.code()).isEqualTo(Status.Code.NOT_FOUND);
    Await.until("the queue empty", () -> threads.queuedCalls() == 0);
    assertThat(finds.get()).as("store calls: the expired call never reached the store").isEqualTo(1);
    assertThat(TestCalls.call(channel, UserServiceGrpc.getGetUserMethod(), get, new Metadata(), TIMEOUT).code())
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void memoryStore_runsOnTheEventLoop_withWatchesDeadlinesAndCancellation() throws Exception {
    // A decorated memory store may block (tests' stores do): only the memory store itself stays on the loop.
    assertThat(CallThreads.forStore(new ThreadRecordingStore(new InMemoryUserStore()), pool).offloads()).isTrue();
    assertThat(CallThreads.forStore(new InMemoryUserStore(), pool).offloads()).isFalse();
    InMemoryUserStore memory = new InMemoryUserStore();
    UserServer server = UserServerMain.newServer(ServerOptions.parse(List.of("--port", "0", "--store", "memory"), Map.of()),
        memory, pool);
    start(server);
    ManagedChannel channel = channel(server);
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Set<String> handlerThreads = ConcurrentHashMap.newKeySet();
    memory.addCommitListener(event -> handlerThreads.add(Thread.currentThread().getName()));

    UserResponse ada = users.createUser(CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada")
        .build());
    watchReplayedAndLive(server, channel, users, ada.getId());
    // A watch with a client deadline ends with it.
    Closed watchWithDeadline = TestCalls.call(channel, UserServiceGrpc.getWatchUserActivityMethod(),
        WatchRequest.newBuilder().setUserId(ada.getId()).build(), new Metadata(), Duration.ofMillis(300));

    assertThat(watchWithDeadline.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    TestCalls.awaitWatches(server, 0);
    assertThat(handlerThreads).as("threads that wrote to the memory store").isNotEmpty()
        .allMatch(name -> name.contains("worker-ELG"));
    assertThat(poolThreads.get()).as("threads the pool started").isZero();
  }

  /**
   * Renames the user, watches it from after its creation (sequence 1), so that the rename is replayed,
   * renames it again, which arrives live, then cancels the watch and waits until the server has let it go.
   */
  private static void watchReplayedAndLive(UserServer server, ManagedChannel channel,
      UserServiceGrpc.UserServiceBlockingStub users, String id) throws InterruptedException {
    users.updateUser(UpdateUserRequest.newBuilder().setId(id).setName("Ada B").build());
    BlockingQueue<ActivityEvent> events = new LinkedBlockingQueue<>();
    Context.CancellableContext watching = Context.current().withCancellation();
    watching.run(() -> UserServiceGrpc.newStub(channel).watchUserActivity(
        WatchRequest.newBuilder().setUserId(id).setResumeAfter(1).build(), collect(events)));
    assertThat(events.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the replayed user.updated").isNotNull();
    TestCalls.awaitWatches(server, 1);
    users.updateUser(UpdateUserRequest.newBuilder().setId(id).setName("Ada L").build());
    assertThat(events.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the live user.updated").isNotNull();
    watching.cancel(null);
    TestCalls.awaitWatches(server, 0);
  }

  private static JdbcUserStore h2Store() {
    return JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:call-threads-" + UUID.randomUUID())
        .build());
  }

  private void start(UserServer server) throws Exception {
    cleanup.register(server);
    server.start();
  }

  private ManagedChannel channel(UserServer server) {
    return cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
  }

  private static StreamObserver<ActivityEvent> collect(BlockingQueue<ActivityEvent> events) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ActivityEvent event) {
        events.add(event);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Records the thread of every store call made for a gRPC or HTTP call (not the feed's or health's own). */
  private static final class ThreadRecordingStore extends ForwardingUserStore {
    private final Map<String, Set<String>> threads = new ConcurrentHashMap<>();
    private final Set<String> eventLoopCalls = ConcurrentHashMap.newKeySet();

    ThreadRecordingStore(UserStore delegate) {
      super(delegate);
    }

    @Override
    protected void beforeCall(String method) {
      Thread thread = Thread.currentThread();
      if (thread instanceof FastThreadLocalThread || thread.getName().contains("worker-ELG")
          || thread.getName().startsWith("armeria-common-worker")) {
        eventLoopCalls.add(method);
      }
      String name = thread.getName();
      if (!name.startsWith("user-activity-feed") && !name.startsWith("user-store-health")
          && !name.startsWith("Test worker") && !name.startsWith("main")) {
        threads.computeIfAbsent(method, m -> ConcurrentHashMap.newKeySet()).add(name);
      }
    }

    Map<String, Set<String>> callThreads() {
      return threads;
    }

    Set<String> eventLoopCalls() {
      return eventLoopCalls;
    }
  }
}
