package io.github.usergrpc.user.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.service.UserServiceCore;
import io.github.usergrpc.user.service.internal.ActivityFeed;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * An in-process UserService for unit tests: the reference server itself (the same handlers, validation and
 * error details as in production) on an in-memory store, reachable without a network through
 * {@link #client()} or {@link #channel()}, with faults to script and a record of the calls it received.
 *
 * <pre>{@code
 * try (FakeUserService fake = FakeUserService.newBuilder().build().start()) {
 *   UserResponse ada = fake.givenUser(u -> u.setName("Ada"));
 *   fake.failNext(UserServiceGrpc.getGetUserMethod(), 2, Status.UNAVAILABLE);
 *
 *   UserResponse read = fake.client().getUser(ada.getId()).join();    // retried twice by the client
 *
 *   assertThat(read).isEqualTo(ada);
 *   assertThat(fake.requests(UserServiceGrpc.getGetUserMethod())).hasSize(3);
 * }
 * }</pre>
 *
 * <p>In JUnit 5 tests, {@link FakeUserServiceExtension} starts and closes one for every test.
 *
 * <h2>Faults</h2>
 * Faults are scripted per method, named by the generated descriptors ({@code UserServiceGrpc.getXxxMethod()}),
 * and apply to calls that arrive after they are set, before the request is validated, as a network would:
 * {@link #failNext}, {@link #delay}, {@link #freeze}, {@link #dropWatchAfter}; {@link #makeStoreUnavailable()}
 * fails the store underneath, which the server answers as it would a database outage. A call that a fault
 * holds (frozen or delayed) holds no thread: the client's deadline and cancellation reach the server at once,
 * and the call never reaches the handler afterwards.
 *
 * <h2>Verification</h2>
 * {@link #calls()} is the record of the calls received ({@link RecordedCalls}): the calls of a method in order
 * of arrival, every retry attempt included, with the request, its headers, its deadline and how the call
 * ended, and waits for calls in flight. The fake's own verification methods ({@link #requests},
 * {@link #awaitRequests}, ...) are shorthands for the same. The fake's own seeding calls ({@link #givenUser},
 * {@link #emitActivity}) are not listed and are never faulted.
 *
 * <h2>Call log</h2>
 * The fake is quiet: unlike the real server, it does not log a line per call, so that a consumer's build
 * shows no {@code WARNING: rpc ... status=UNAVAILABLE} for every fault it injects on purpose. To see the
 * calls while debugging, turn the call log on with {@link Builder#setCallLogging(boolean)} or, without
 * touching the code, the system property {@value #CALL_LOG_PROPERTY}{@code =true} (for example
 * {@code mvn test -Dusergrpc.testkit.callLog=true}).
 *
 * <p>Thread-safe.
 */
public final class FakeUserService implements AutoCloseable {

  /**
   * The system property that, set to {@code true}, turns the call log of fakes on by default: one line per
   * call on the logger {@code io.github.usergrpc.user.server.calls}, as the real server writes it.
   */
  public static final String CALL_LOG_PROPERTY = "usergrpc.testkit.callLog";

  private static final Duration SEEDING_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

  private final String name = InProcessServerBuilder.generateName();
  private final OutageStore store;
  private final Faults faults = new Faults();
  private final CallLog log = new CallLog();
  private final RecordedCalls calls = new RecordedCalls(log);
  private final UserServiceCore core;
  private final Server server;
  private final AtomicInteger seeded = new AtomicInteger();
  private final Object lock = new Object();

  @GuardedBy("lock")
  private boolean started;
  @GuardedBy("lock")
  private boolean closed;
  @GuardedBy("lock")
  @Nullable
  private ManagedChannel channel;
  @GuardedBy("lock")
  @Nullable
  private UserServiceGrpc.UserServiceBlockingStub seeding;
  @GuardedBy("lock")
  @Nullable
  private UserClient client;
  @GuardedBy("lock")
  private final List<UserClient> clients = new ArrayList<>();

  private FakeUserService(Builder builder) {
    this.store = new OutageStore(new InMemoryUserStore(builder.retainedEvents));
    // The service as the real server assembles it, without the real server's deployment: no server-side
    // default deadline, so that a recorded call's timeout() is the client's own deadline and a held call
    // without one stays held until the test releases it.
    this.core = UserServiceCore.newBuilder()
        .setStore(store)
        .setClock(builder.clock)
        .setIdGenerator(builder.ids())
        .setMaxPendingEventsPerWatch(builder.maxPendingEventsPerWatch)
        .setCallLogging(builder.callLogging)
        .addInterceptor(new FaultInterceptor(faults, log))
        .build();
    this.server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(core.userService())
        .addService(core.healthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
  }

  /** Returns a builder with the defaults. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Starts the server, unless it runs already.
   *
   * @return this
   * @throws IllegalStateException if the fake was closed
   */
  public FakeUserService start() {
    synchronized (lock) {
      checkNotClosed();
      if (started) {
        return this;
      }
      try {
        core.start();
        server.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the in-process server " + name, e);
      }
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      Metadata seedingHeader = new Metadata();
      seedingHeader.put(FaultInterceptor.SEEDING, "true");
      seeding = UserServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(seedingHeader));
      started = true;
      return this;
    }
  }

  /** Returns the in-process server name, for building channels of one's own with {@code InProcessChannelBuilder}. */
  public String serverName() {
    return name;
  }

  /**
   * Returns a channel to the fake, which the fake owns and shuts down on {@link #close()}. Its calls run on
   * the calling thread ({@code directExecutor}).
   *
   * @throws IllegalStateException if the fake is not running
   */
  public ManagedChannel channel() {
    synchronized (lock) {
      checkRunning();
      return channel;
    }
  }

  /**
   * Returns a client of the fake with the production defaults (deadlines, retries, request ids, client-side
   * validation), created on first use and closed by {@link #close()}. It is built with
   * {@link UserClient.Builder#setChannelBuilder} on the in-process transport, so that gRPC's retries and
   * deadlines work as they do over a network.
   *
   * @throws IllegalStateException if the fake is not running
   */
  public UserClient client() {
    synchronized (lock) {
      checkRunning();
      if (client == null) {
        client = newClient(builder -> { });
      }
      return client;
    }
  }

  /**
   * Returns a new client of the fake with other settings, such as {@code setRetrySettings},
   * {@code setTimeout} or {@code setAutomaticRequestIds(false)}. The fake closes it on {@link #close()}.
   *
   * @param customizer changes the builder, which already has the fake's channel builder set: do not set a
   *     target or channel
   * @return the client
   * @throws IllegalStateException if the fake is not running
   */
  public UserClient newClient(Consumer<UserClient.Builder> customizer) {
    requireNonNull(customizer, "customizer");
    UserClient.Builder builder = UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor());
    customizer.accept(builder);
    synchronized (lock) {
      checkRunning();
      UserClient created = builder.build();
      clients.add(created);
      return created;
    }
  }

  /** Returns the number of open WatchUserActivity streams. */
  public int activeWatches() {
    return core.activeWatches();
  }

  // ---- Seeding -------------------------------------------------------------------------------------

  /**
   * Creates a user through the service (so its etag and {@code user.created} event are real) with readable
   * defaults: the n-th user seeded by this fake has email {@code user<n>@example.com}, name
   * {@code User <n>} and role {@code viewer}.
   *
   * @return the created user
   * @throws StatusRuntimeException if the service refuses, for example ALREADY_EXISTS for an email in use
   * @throws IllegalStateException if the fake is not running
   */
  public UserResponse givenUser() {
    return givenUser(user -> { });
  }

  /**
   * Creates a user through the service, starting from the defaults of {@link #givenUser()}.
   *
   * <pre>{@code
   * UserResponse admin = fake.givenUser(u -> u.setName("Ada").setRole("admin"));
   * }</pre>
   *
   * @param customizer changes the request
   * @return the created user
   * @throws StatusRuntimeException if the service refuses, for example INVALID_ARGUMENT for a bad email
   * @throws IllegalStateException if the fake is not running
   */
  public UserResponse givenUser(Consumer<CreateUserRequest.Builder> customizer) {
    requireNonNull(customizer, "customizer");
    int n = seeded.incrementAndGet();
    CreateUserRequest.Builder request = CreateUserRequest.newBuilder()
        .setEmail("user" + n + "@example.com")
        .setName("User " + n)
        .setRole("viewer");
    customizer.accept(request);
    return seeding().createUser(request.build());
  }

  /**
   * Creates {@code count} users with the defaults of {@link #givenUser()}.
   *
   * @param count how many, at least 0
   * @return the users, in order of creation
   * @throws IllegalStateException if the fake is not running
   */
  public List<UserResponse> givenUsers(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 0)");
    }
    List<UserResponse> users = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      users.add(givenUser());
    }
    return List.copyOf(users);
  }

  /**
   * Publishes an activity event for a user through the service, as another service would with
   * RecordActivity; watchers of the user receive it.
   *
   * @param userId the user, who must exist
   * @param action the action, such as {@code page_view}
   * @param details free-form detail
   * @return the event as stored, with its sequence
   * @throws StatusRuntimeException if the service refuses, for example NOT_FOUND for an unknown user
   * @throws IllegalStateException if the fake is not running
   */
  public ActivityEvent emitActivity(String userId, String action, String details) {
    RecordActivityRequest request = RecordActivityRequest.newBuilder()
        .setUserId(requireNonNull(userId, "userId"))
        .setAction(requireNonNull(action, "action"))
        .setDetails(requireNonNull(details, "details"))
        .build();
    return seeding().recordActivity(request).getEvent();
  }

  // ---- Faults --------------------------------------------------------------------------------------

  /**
   * Fails the next {@code times} calls of a method with {@code status}, before they are validated or handled;
   * the server adds an {@code ErrorInfo} whose reason is the code's name, as it does for every error. Calls
   * repeat the failures queued by earlier calls of this method first.
   *
   * @param method the method, such as {@code UserServiceGrpc.getGetUserMethod()}
   * @param times how many calls fail, at least 1
   * @param status the status, not OK
   */
  public void failNext(MethodDescriptor<?, ?> method, int times, Status status) {
    requireNonNull(status, "status");
    if (status.isOk()) {
      throw new IllegalArgumentException("status: OK (expected: an error)");
    }
    failNext(method, times, status.asRuntimeException());
  }

  /**
   * Fails the next {@code times} calls of a method with a rich status (AIP-193): its code, message and
   * details ({@code ErrorInfo}, {@code BadRequest}, {@code RetryInfo}, ...) reach the client as given.
   *
   * @param method the method, such as {@code UserServiceGrpc.getGetUserMethod()}
   * @param times how many calls fail, at least 1
   * @param status the {@code google.rpc.Status}, with a code other than OK
   */
  public void failNext(MethodDescriptor<?, ?> method, int times, com.google.rpc.Status status) {
    requireNonNull(status, "status");
    if (status.getCode() == Status.Code.OK.value()) {
      throw new IllegalArgumentException("status: code 0 (expected: an error code)");
    }
    failNext(method, times, StatusProto.toStatusRuntimeException(status));
  }

  /**
   * Makes every call of a method wait {@code delay} before it is handled, until {@link #reset()} or a delay
   * of zero. A call whose deadline passes or that the client cancels while it waits is cancelled at once
   * and never handled.
   *
   * @param method the method
   * @param delay the delay; zero ends delaying
   */
  public void delay(MethodDescriptor<?, ?> method, Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
    }
    faults.delay(RecordedCalls.fullName(method), delay);
  }

  /**
   * Holds every call of a method that arrives from now on until {@link #unfreeze} (or {@link #reset()}): to
   * test timeouts and in-flight cancellation. A held call occupies no thread; its deadline and cancellation
   * reach the client and the server as usual, and a cancelled call is never handled.
   *
   * @param method the method
   */
  public void freeze(MethodDescriptor<?, ?> method) {
    faults.freeze(RecordedCalls.fullName(method));
  }

  /**
   * Lets the calls of a method go on that {@link #freeze} held, in order of arrival, and stops holding new
   * ones. Returns at once: the released calls run on the fake's own threads.
   *
   * @param method the method
   */
  public void unfreeze(MethodDescriptor<?, ?> method) {
    faults.unfreeze(RecordedCalls.fullName(method));
  }

  /**
   * Ends every WatchUserActivity stream with UNAVAILABLE once it has sent {@code events} events, as a broken
   * connection would (the server sees the stream cancelled), until {@link #reset()}: to test that watchers
   * resume without losing or repeating events. Applies to open streams too, counting from their start.
   *
   * @param events events per stream, at least 1; 0 stops dropping streams
   */
  public void dropWatchAfter(int events) {
    if (events < 0) {
      throw new IllegalArgumentException("events: " + events + " (expected: >= 0)");
    }
    faults.dropWatchAfter(events);
  }

  /**
   * Makes the store unreachable until {@link #restoreStore()}: every call that needs it fails with
   * UNAVAILABLE (reason STORE_UNAVAILABLE), as with a database outage, and the health service reports
   * NOT_SERVING. The server's WARNING log line for each such call is filtered out, for this simulated outage
   * only.
   */
  public void makeStoreUnavailable() {
    store.makeUnavailable();
  }

  /** Ends {@link #makeStoreUnavailable()}. */
  public void restoreStore() {
    store.restore();
  }

  /**
   * Clears every fault (releasing frozen calls, which go on) and forgets the calls received so far. Users and
   * activity stay.
   */
  public void reset() {
    faults.reset();
    store.restore();
    log.clear();
  }

  // ---- Verification --------------------------------------------------------------------------------

  /**
   * Returns the calls this fake received, to verify what the code under test sent and to wait for calls in
   * flight. The same object for the fake's whole life; {@link #reset()} empties it.
   */
  public RecordedCalls calls() {
    return calls;
  }

  /**
   * Returns the calls of a method received so far; the same as {@code calls().requests(method)}.
   *
   * @param method the method, such as {@code UserServiceGrpc.getCreateUserMethod()}
   * @param <ReqT> the request type of the method
   * @return an immutable list of snapshots
   * @see RecordedCalls#requests
   */
  public <ReqT> List<RecordedCall<ReqT>> requests(MethodDescriptor<ReqT, ?> method) {
    return calls.requests(method);
  }

  /**
   * Returns the calls of every method received so far; the same as {@code calls().allRequests()}.
   *
   * @see RecordedCalls#allRequests
   */
  public List<RecordedCall<?>> allRequests() {
    return calls.allRequests();
  }

  /**
   * Returns how many calls of a method were received so far; the same as {@code calls().requestCount(method)}.
   *
   * @param method the method
   * @return the number of calls, retry attempts included
   * @see RecordedCalls#requestCount
   */
  public int requestCount(MethodDescriptor<?, ?> method) {
    return calls.requestCount(method);
  }

  /**
   * Returns the calls of a method that the server saw cancelled; the same as
   * {@code calls().cancellations(method)}.
   *
   * @param method the method
   * @param <ReqT> the request type of the method
   * @return an immutable list of snapshots
   * @see RecordedCalls#cancellations
   */
  public <ReqT> List<RecordedCall<ReqT>> cancellations(MethodDescriptor<ReqT, ?> method) {
    return calls.cancellations(method);
  }

  /**
   * Waits until at least {@code count} calls of a method have arrived; the same as
   * {@code calls().awaitRequests(method, count, timeout)}.
   *
   * @param method the method
   * @param count how many calls, at least 0
   * @param timeout the most to wait
   * @param <ReqT> the request type of the method
   * @return the calls received, at least {@code count}
   * @throws AssertionError if fewer arrived within {@code timeout}
   * @see RecordedCalls#awaitRequests
   */
  public <ReqT> List<RecordedCall<ReqT>> awaitRequests(MethodDescriptor<ReqT, ?> method, int count,
      Duration timeout) {
    return calls.awaitRequests(method, count, timeout);
  }

  /**
   * Waits until the server has seen a call of a method cancelled, and returns the first such call; the same
   * as {@code calls().awaitCancellation(method, timeout)}.
   *
   * @param method the method
   * @param timeout the most to wait
   * @param <ReqT> the request type of the method
   * @return the first cancelled call
   * @throws AssertionError if none was cancelled within {@code timeout}
   * @see RecordedCalls#awaitCancellation
   */
  public <ReqT> RecordedCall<ReqT> awaitCancellation(MethodDescriptor<ReqT, ?> method, Duration timeout) {
    return calls.awaitCancellation(method, timeout);
  }

  /**
   * Closes the fake, once: fails the calls that faults still hold (CANCELLED), closes the clients and the
   * channel it handed out, then shuts the server down. Idempotent.
   */
  @Override
  public void close() {
    List<UserClient> toClose;
    ManagedChannel toShutDown;
    boolean wasStarted;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      wasStarted = started;
      toClose = new ArrayList<>(clients);
      clients.clear();
      toShutDown = channel;
    }
    faults.close(Status.CANCELLED
        .withDescription("the FakeUserService was closed while a fault held this call").asRuntimeException());
    toClose.forEach(UserClient::close);
    try {
      if (toShutDown != null) {
        toShutDown.shutdownNow().awaitTermination(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (wasStarted) {
        core.close();
        server.shutdownNow();
        server.awaitTermination(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      store.close();
    }
  }

  /** Tells whether {@link #close()} was called. */
  public boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Returns the server name and the calls received, for test failure messages. */
  @Override
  public String toString() {
    return "FakeUserService{name=" + name + ", " + calls + "}";
  }

  static ThreadFactory daemon(String threadName) {
    return runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    };
  }

  private void failNext(MethodDescriptor<?, ?> method, int times, StatusRuntimeException failure) {
    String fullName = RecordedCalls.fullName(method);
    if (times < 1) {
      throw new IllegalArgumentException("times: " + times + " (expected: >= 1)");
    }
    faults.failNext(fullName, times, failure);
  }

  private UserServiceGrpc.UserServiceBlockingStub seeding() {
    synchronized (lock) {
      checkRunning();
      return seeding.withDeadlineAfter(SEEDING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @GuardedBy("lock")
  private void checkNotClosed() {
    if (closed) {
      throw new IllegalStateException("the FakeUserService is closed");
    }
  }

  @GuardedBy("lock")
  private void checkRunning() {
    checkNotClosed();
    if (!started) {
      throw new IllegalStateException("the FakeUserService is not started: call start()");
    }
  }

  /**
   * Configures a {@link FakeUserService}. A builder may build several fakes (as
   * {@link FakeUserServiceExtension} does, one per test); each gets its own store and, with
   * {@link #useDeterministicIds()}, its own id counter. Not thread-safe.
   */
  public static final class Builder {

    private Clock clock = Clock.systemUTC();
    @Nullable
    private Supplier<String> idGenerator;
    private boolean deterministicIds;
    private int maxPendingEventsPerWatch = UserServiceCore.Builder.DEFAULT_MAX_PENDING_EVENTS_PER_WATCH;
    private int retainedEvents = InMemoryUserStore.DEFAULT_RETAINED_EVENTS;
    private boolean callLogging = Boolean.getBoolean(CALL_LOG_PROPERTY);

    private Builder() {}

    /**
     * Sets the clock that stamps created_at, updated_at and event timestamps, such as
     * {@code Clock.fixed(...)}. If not called, defaults to {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this
     */
    public Builder setClock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets what chooses the id of each new user; it must never repeat an id. Replaces
     * {@link #useDeterministicIds()}. If not called, defaults to random UUIDs, as the real server uses.
     *
     * @param idGenerator called once per created user; shared by every fake this builder builds
     * @return this
     */
    public Builder setIdGenerator(Supplier<String> idGenerator) {
      this.idGenerator = requireNonNull(idGenerator, "idGenerator");
      this.deterministicIds = false;
      return this;
    }

    /**
     * Gives users the ids {@code user-1}, {@code user-2}, ... in order of creation, counted per fake.
     * Replaces {@link #setIdGenerator}. Off by default (random UUIDs).
     *
     * @return this
     */
    public Builder useDeterministicIds() {
      this.deterministicIds = true;
      this.idGenerator = null;
      return this;
    }

    /**
     * Sets how many events may wait for a watcher that does not keep up before its stream is ended with
     * RESOURCE_EXHAUSTED (WATCH_TOO_SLOW). If not called, defaults to
     * {@value UserServiceCore.Builder#DEFAULT_MAX_PENDING_EVENTS_PER_WATCH}, as the real server.
     *
     * @param maxPending at least 2
     * @return this
     */
    public Builder setMaxPendingEventsPerWatch(int maxPending) {
      this.maxPendingEventsPerWatch = ActivityFeed.checkMaxPendingPerWatch(maxPending);
      return this;
    }

    /**
     * Sets how many of the newest activity events the store keeps for watches that resume; a watch resuming
     * from before them fails with OUT_OF_RANGE (RESUME_POINT_EXPIRED). If not called, defaults to
     * {@value InMemoryUserStore#DEFAULT_RETAINED_EVENTS}.
     *
     * @param events at least 1
     * @return this
     */
    public Builder setRetainedEvents(int events) {
      if (events < 1) {
        throw new IllegalArgumentException("events: " + events + " (expected: >= 1)");
      }
      this.retainedEvents = events;
      return this;
    }

    /**
     * Sets whether the fake logs every call when it ends, as the real server does: one line on the logger
     * {@code io.github.usergrpc.user.server.calls}, at WARNING for errors (injected faults included) and at
     * FINE for successes. If not called, off, unless the system property
     * {@value FakeUserService#CALL_LOG_PROPERTY} is {@code true} when the builder is created.
     *
     * @param enabled true to log calls, for debugging a test
     * @return this
     */
    public Builder setCallLogging(boolean enabled) {
      this.callLogging = enabled;
      return this;
    }

    /**
     * Builds a fake; {@link FakeUserService#start()} starts it.
     *
     * @return a new fake, not started
     */
    public FakeUserService build() {
      return new FakeUserService(this);
    }

    private Supplier<String> ids() {
      if (deterministicIds) {
        AtomicInteger next = new AtomicInteger();
        return () -> "user-" + next.incrementAndGet();
      }
      return idGenerator != null ? idGenerator : () -> UUID.randomUUID().toString();
    }
  }
}
