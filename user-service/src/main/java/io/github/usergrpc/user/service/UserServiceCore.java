package io.github.usergrpc.user.service;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.api.RequestValidator;
import io.github.usergrpc.user.service.internal.ActivityFeed;
import io.github.usergrpc.user.service.internal.InterceptorChain;
import io.github.usergrpc.user.service.internal.StoreHealth;
import io.github.usergrpc.user.service.internal.UserService;
import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * The UserService without a transport: its handlers with validation, error details and the call log around
 * them, the watch feed, and the health service that follows the store. Serve {@link #userService()} and
 * {@link #healthService()} on any {@code ServerBuilder}; {@code UserServer} (in {@code user-server}) does so
 * on its ports and {@code FakeUserService} (in {@code user-testkit}) in-process.
 *
 * <pre>{@code
 * UserServiceCore core = UserServiceCore.newBuilder().setStore(new InMemoryUserStore()).build();
 * Server server = InProcessServerBuilder.forName("users").directExecutor()
 *     .addService(core.userService())
 *     .addService(core.healthService())
 *     .build();
 * core.start();
 * server.start();
 * ...
 * core.close();      // watches end with SERVER_SHUTTING_DOWN, health turns NOT_SERVING
 * server.shutdown();
 * }</pre>
 *
 * <p>The core does not own the store: close the store after the core.
 */
public final class UserServiceCore implements AutoCloseable {

  private final ActivityFeed feed;
  private final StoreHealth health;
  private final ServerServiceDefinition users;
  private final AtomicBoolean closed = new AtomicBoolean();

  private UserServiceCore(Builder builder) {
    this.feed = new ActivityFeed(builder.store, Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "user-activity-feed");
      thread.setDaemon(true);
      return thread;
    }), builder.watchPollInterval, builder.maxPendingEventsPerWatch, builder.maxWatches,
        builder.maxWatchesPerUser);
    this.health = new StoreHealth(builder.store, builder.healthCheckInterval);
    UserService handlers = new UserService(builder.store, builder.clock, builder.idGenerator, feed);
    this.users = InterceptorChain.intercept(handlers, RequestValidator.get(),
        new CallLoggingInterceptor(builder.callLogging, builder.callLogTraceIds), builder.headerInterceptors, builder.interceptors);
  }

  /** Returns a builder with the defaults. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns the UserService with all its interceptors, to serve on one or more transports: its calls behave
   * the same on each.
   */
  public ServerServiceDefinition userService() {
    return users;
  }

  /** Returns the standard health service: SERVING only while the store answers, once started. */
  public BindableService healthService() {
    return health.service();
  }

  /** Starts the watch feed and the health checks. */
  public void start() {
    feed.start();
    health.start();
  }

  /** Returns the number of open WatchUserActivity streams. */
  public int activeWatches() {
    return feed.activeWatches();
  }

  /**
   * Health turns NOT_SERVING for good and watch streams end with UNAVAILABLE (SERVER_SHUTTING_DOWN), so that
   * watchers reconnect elsewhere. Unary calls in flight are the transport's to finish. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.close();
    feed.close();
  }

  /**
   * Configures a {@link UserServiceCore}. Reusable: each {@link #build()} makes a core of its own (its own
   * watch feed and health checks) with the settings and interceptors as they are then, and later changes to
   * the builder do not reach the cores built before. Not thread-safe.
   */
  public static final class Builder {

    /** The default of {@link #setWatchPollInterval}. */
    public static final Duration DEFAULT_WATCH_POLL_INTERVAL = Duration.ofMillis(100);
    /** The default of {@link #setMaxPendingEventsPerWatch}. */
    public static final int DEFAULT_MAX_PENDING_EVENTS_PER_WATCH = 1000;
    /** The default of {@link #setHealthCheckInterval}. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(1);
    /** The default of {@link #setMaxWatches}. */
    public static final int DEFAULT_MAX_WATCHES = 10_000;
    /** The default of {@link #setMaxWatchesPerUser}. */
    public static final int DEFAULT_MAX_WATCHES_PER_USER = 100;

    private UserStore store;
    private Clock clock = Clock.systemUTC();
    private Supplier<String> idGenerator = () -> UUID.randomUUID().toString();
    private Duration watchPollInterval = DEFAULT_WATCH_POLL_INTERVAL;
    private int maxPendingEventsPerWatch = DEFAULT_MAX_PENDING_EVENTS_PER_WATCH;
    private Duration healthCheckInterval = DEFAULT_HEALTH_CHECK_INTERVAL;
    private int maxWatches = DEFAULT_MAX_WATCHES;
    private int maxWatchesPerUser = DEFAULT_MAX_WATCHES_PER_USER;
    private boolean callLogging = true;
    @Nullable private Supplier<String> callLogTraceIds;
    private final List<ServerInterceptor> headerInterceptors = new ArrayList<>();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();

    private Builder() {}

    /**
     * Sets the store. Required. The core does not close it.
     *
     * @param store the store
     * @return this
     */
    public Builder setStore(UserStore store) {
      this.store = requireNonNull(store, "store");
      return this;
    }

    /**
     * Sets the clock that stamps created_at, updated_at and event times. If not called, defaults to
     * {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this
     */
    public Builder setClock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets what chooses the id of each new user; it must never repeat an id. If not called, defaults to
     * random UUIDs.
     *
     * @param idGenerator the generator, called once per create
     * @return this
     */
    public Builder setIdGenerator(Supplier<String> idGenerator) {
      this.idGenerator = requireNonNull(idGenerator, "idGenerator");
      return this;
    }

    /**
     * Sets how often the feed looks for activity that other server processes wrote to a shared database.
     * Local writes reach watchers at once regardless, and so do other processes' writes that the store is told
     * of ({@link io.github.usergrpc.user.service.store.UserStore#addRemoteCommitListener}), for which this poll
     * is the backstop. If not called, defaults to 100 ms.
     *
     * @param interval the poll interval, positive
     * @return this
     */
    public Builder setWatchPollInterval(Duration interval) {
      this.watchPollInterval = positive(interval);
      return this;
    }

    /**
     * Sets how many events may wait for one watcher that does not keep up before its stream is ended with
     * RESOURCE_EXHAUSTED (WATCH_TOO_SLOW). Bounds the memory a slow watcher can hold. If not called,
     * defaults to 1000.
     *
     * @param maxPending at least 2
     * @return this
     */
    public Builder setMaxPendingEventsPerWatch(int maxPending) {
      this.maxPendingEventsPerWatch = ActivityFeed.checkMaxPendingPerWatch(maxPending);
      return this;
    }

    /**
     * Sets how often the store is pinged to keep the health service's status current. If not called,
     * defaults to 1 second.
     *
     * @param interval the interval, positive
     * @return this
     */
    public Builder setHealthCheckInterval(Duration interval) {
      this.healthCheckInterval = positive(interval);
      return this;
    }

    /**
     * Sets how many WatchUserActivity streams may be open at once; a watch past it is refused with
     * RESOURCE_EXHAUSTED (TOO_MANY_WATCHES). If not called, defaults to 10,000.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxWatches(int max) {
      this.maxWatches = atLeastOne(max);
      return this;
    }

    /**
     * Sets how many WatchUserActivity streams may be open at once on one user; a watch past it is refused
     * with RESOURCE_EXHAUSTED (TOO_MANY_WATCHES). If not called, defaults to 100.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxWatchesPerUser(int max) {
      this.maxWatchesPerUser = atLeastOne(max);
      return this;
    }

    /**
     * Sets whether every call is logged when it ends (see {@link CallLoggingInterceptor}). The
     * {@code x-request-id} is echoed either way. If not called, calls are logged.
     *
     * @param enabled false for no call log
     * @return this
     */
    public Builder setCallLogging(boolean enabled) {
      this.callLogging = enabled;
      return this;
    }

    /**
     * Sets where the call log reads the trace id of the current call (for example the current span's,
     * when the server is traced). If not called, the call log shows none.
     *
     * @param traceIds returns the current call's trace id, or null when there is none
     * @return this
     */
    public Builder setCallLogTraceIds(Supplier<String> traceIds) {
      this.callLogTraceIds = requireNonNull(traceIds, "traceIds");
      return this;
    }

    /**
     * Adds an interceptor on the call's headers, before the request is parsed and after the call log, such
     * as authentication or a default deadline. Header interceptors run in the order added.
     *
     * @param interceptor the interceptor
     * @return this
     */
    public Builder addHeaderInterceptor(ServerInterceptor interceptor) {
      headerInterceptors.add(requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Adds an interceptor that sees every call with its parsed request, in the order added, after the
     * header interceptors and before validation; an error it closes a call with still gets an
     * {@code ErrorInfo}.
     *
     * @param interceptor the interceptor
     * @return this
     */
    public Builder addInterceptor(ServerInterceptor interceptor) {
      interceptors.add(requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Builds the core; {@link UserServiceCore#start()} starts it.
     *
     * @return the core
     * @throws IllegalStateException if no store was set
     */
    public UserServiceCore build() {
      if (store == null) {
        throw new IllegalStateException("setStore() was not called");
      }
      return new UserServiceCore(this);
    }

    private static Duration positive(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
      }
      return interval;
    }

    private static int atLeastOne(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
      }
      return max;
    }
  }
}
