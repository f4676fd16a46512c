package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.server.observability.MalformedInputLog;
import io.github.usergrpc.user.server.observability.ServerMetrics;
import io.github.usergrpc.user.server.observability.ServerTracing;
import io.github.usergrpc.user.service.CallLoggingInterceptor;
import io.github.usergrpc.user.service.UserServiceCore;
import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.annotation.Nullable;

/**
 * The reference UserService server: the service with its validation and error mapping, the standard
 * health service (SERVING only while the store is reachable) and server reflection, on the transport the
 * caller chooses.
 *
 * <pre>{@code
 * UserServer server = UserServer.newBuilder(Grpc.newServerBuilderForPort(50051, InsecureServerCredentials.create()))
 *     .setStore(new InMemoryUserStore())
 *     .build()
 *     .start();
 * ...
 * server.close();
 * }</pre>
 *
 * <p>The server does not own the store: close the store after the server.
 */
public final class UserServer implements AutoCloseable {

  private final Server server;
  /** The same service for in-process callers, such as the HTTP/JSON gateway; null unless asked for. */
  @Nullable private final Server inProcess;
  private final UserServiceCore core;
  /** The core's service, traced when tracing is on. */
  private final ServerServiceDefinition users;
  @Nullable private final ScheduledThreadPoolExecutor deadlineTimer;
  private final AtomicBoolean closed = new AtomicBoolean();

  private UserServer(Builder builder) {
    UserServiceCore.Builder core = builder.core;
    UserStore store = builder.metrics == null ? builder.store : builder.metrics.instrument(builder.store);
    core.setStore(builder.tracing == null ? store : builder.tracing.instrument(store));
    this.deadlineTimer = builder.defaultDeadline.isZero() ? null : deadlineTimer(builder.defaultDeadline);
    if (deadlineTimer != null) {
      core.addHeaderInterceptor(new DefaultDeadlineInterceptor(builder.defaultDeadline, deadlineTimer));
    }
    if (builder.accessTokens != null) {
      core.addHeaderInterceptor(new AuthInterceptor(builder.accessTokens));
    }
    // Innermost of the header interceptors: what may wait for the store leaves the transport's thread here.
    builder.callThreads.interceptor().ifPresent(core::addHeaderInterceptor);
    if (builder.tracing != null) {
      core.setCallLogTraceIds(ServerTracing::currentTraceId);
    }
    this.core = core.build();
    ServerServiceDefinition users = this.core.userService();
    if (builder.tracing != null) {
      // Outside the call log, which logs the trace id of the span this starts.
      users = builder.tracing.intercept(users);
    }
    this.users = users;
    if (builder.metrics != null) {
      builder.metrics.instrument(builder.transport);
      builder.metrics.observeWatches(this.core::activeWatches);
    }
    this.server = builder.transport
        .addService(users)
        .addService(this.core.healthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
    MalformedInputLog.install();
    if (builder.inProcessName == null) {
      this.inProcess = null;
    } else {
      // Direct executor: an in-process caller's thread runs its call, as it would wait for it anyway.
      InProcessServerBuilder local = InProcessServerBuilder.forName(builder.inProcessName).directExecutor();
      if (builder.metrics != null) {
        builder.metrics.instrument(local);
      }
      this.inProcess = local.addService(users).build();
    }
  }

  /**
   * Returns the UserService as this server serves it, with all its interceptors (authentication, deadline,
   * call log, parsing, error details, validation), for a second transport such as the HTTP port: its calls
   * behave as the same calls here. Health and reflection are not part of it.
   */
  public ServerServiceDefinition userService() {
    return users;
  }

  /**
   * Returns a new builder.
   *
   * @param transport the server builder to add the services to: Netty for a real port, in-process for
   *     tests. It is configured (port, executor, limits, TLS) by the caller.
   * @return the builder
   */
  public static Builder newBuilder(ServerBuilder<?> transport) {
    return new Builder(transport);
  }

  /**
   * Starts serving and checking the store's health.
   *
   * @return this
   * @throws IOException if the port cannot be bound
   */
  public UserServer start() throws IOException {
    core.start();
    server.start();
    if (inProcess != null) {
      inProcess.start();
    }
    return this;
  }

  /** Returns the port the server listens on, or -1 for a transport without ports (in-process). */
  public int port() {
    return server.getPort();
  }

  /** Returns the number of open WatchUserActivity streams. */
  public int activeWatches() {
    return core.activeWatches();
  }

  /**
   * Starts an orderly shutdown: health turns NOT_SERVING for good, watch streams end with UNAVAILABLE
   * (SERVER_SHUTTING_DOWN) so that watchers reconnect elsewhere, new calls are refused, and calls in flight
   * finish. Does not wait; see {@link #awaitTermination}.
   */
  public void shutdown() {
    core.close();
    server.shutdown();
    if (inProcess != null) {
      inProcess.shutdown();
    }
    if (deadlineTimer != null) {
      // The deadlines of calls in flight still fire; new calls are refused by the server anyway.
      deadlineTimer.shutdown();
    }
  }

  /** Cancels the calls still in flight after {@link #shutdown()}. */
  public void shutdownNow() {
    shutdown();
    server.shutdownNow();
    if (inProcess != null) {
      inProcess.shutdownNow();
    }
  }

  /**
   * Waits for the calls in flight to finish after {@link #shutdown()}.
   *
   * @param timeout the most to wait
   * @param unit the unit of {@code timeout}
   * @return true if the server terminated
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return server.awaitTermination(timeout, unit);
  }

  /**
   * Waits until the server has terminated.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Shuts down, waits up to 30 seconds for calls in flight, then cancels what is left. Idempotent. The
   * store stays open.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shutdown();
    try {
      if (!server.awaitTermination(30, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
      if (inProcess != null && !inProcess.awaitTermination(5, TimeUnit.SECONDS)) {
        inProcess.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      if (inProcess != null) {
        inProcess.shutdownNow();
      }
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Returns the timer of default deadlines: it forgets the deadline of a call that ends (most do, long
   * before it).
   *
   * <p>It also runs an empty task every {@code min(1 s, deadline)}, which is always due before any call's
   * deadline, as every call's deadline is {@code deadline} from its start. Without it, a call that found no
   * deadline pending (one call in flight at a time: the previous call's deadline was removed when it ended)
   * made its own the timer's next task, and the timer's queue woke the timer's thread to wait for that one
   * instead: a wake-up, a system call, on the transport's thread, for each call. With it, no call's deadline is
   * ever the next task when it is added, and the thread wakes once per period.
   */
  private static ScheduledThreadPoolExecutor deadlineTimer(Duration deadline) {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "user-server-deadlines");
      thread.setDaemon(true);
      return thread;
    });
    timer.setRemoveOnCancelPolicy(true);
    long period = Math.min(TimeUnit.SECONDS.toNanos(1), deadline.toNanos());
    // Nothing waits for it; shutdown() cancels it, and the deadlines still pending then still fire.
    var unused = timer.scheduleAtFixedRate(() -> {}, period, period, TimeUnit.NANOSECONDS);
    return timer;
  }

  /**
   * Configures a {@link UserServer}. Single-use: it adds the services to the transport it was given, which
   * builds one server, so {@link #build()} may be called once; take a new builder (and transport) for
   * another server. Not thread-safe.
   */
  public static final class Builder {

    /** The default of {@link #setWatchPollInterval}. */
    public static final Duration DEFAULT_WATCH_POLL_INTERVAL = UserServiceCore.Builder.DEFAULT_WATCH_POLL_INTERVAL;
    /** The default of {@link #setMaxPendingEventsPerWatch}. */
    public static final int DEFAULT_MAX_PENDING_EVENTS_PER_WATCH =
        UserServiceCore.Builder.DEFAULT_MAX_PENDING_EVENTS_PER_WATCH;
    /** The default of {@link #setHealthCheckInterval}. */
    public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = UserServiceCore.Builder.DEFAULT_HEALTH_CHECK_INTERVAL;
    /** The default of {@link #setMaxWatches}. */
    public static final int DEFAULT_MAX_WATCHES = UserServiceCore.Builder.DEFAULT_MAX_WATCHES;
    /** The default of {@link #setMaxWatchesPerUser}. */
    public static final int DEFAULT_MAX_WATCHES_PER_USER = UserServiceCore.Builder.DEFAULT_MAX_WATCHES_PER_USER;
    /** The default of {@link #setDefaultDeadline}. */
    public static final Duration DEFAULT_CALL_DEADLINE = Duration.ofSeconds(30);

    private final ServerBuilder<?> transport;
    /** The service's own settings: validated and kept there, so that they are defined once. */
    private final UserServiceCore.Builder core = UserServiceCore.newBuilder();
    private UserStore store;
    private Duration defaultDeadline = DEFAULT_CALL_DEADLINE;
    @Nullable private AccessTokens accessTokens;
    @Nullable private String inProcessName;
    @Nullable private ServerMetrics metrics;
    private CallThreads callThreads = CallThreads.onTransport();
    @Nullable private ServerTracing tracing;
    private boolean built;

    private Builder(ServerBuilder<?> transport) {
      this.transport = requireNonNull(transport, "transport");
    }

    /**
     * Sets the store. Required. The server does not close it.
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
      core.setClock(clock);
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
      core.setIdGenerator(idGenerator);
      return this;
    }

    /**
     * Sets how often the server looks for activity that other server processes wrote to a shared database.
     * Local writes reach watchers at once regardless, and so do other processes' writes on a PostgreSQL store
     * with {@link io.github.usergrpc.user.server.store.jdbc.JdbcSettings#activityNotifications()} (the default),
     * for which this poll is the backstop. If not called, defaults to 100 ms.
     *
     * @param interval the poll interval, positive
     * @return this
     */
    public Builder setWatchPollInterval(Duration interval) {
      core.setWatchPollInterval(interval);
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
      core.setMaxPendingEventsPerWatch(maxPending);
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
      core.setHealthCheckInterval(interval);
      return this;
    }

    /**
     * Sets how many WatchUserActivity streams may be open on the server at once; a watch past it is refused
     * with RESOURCE_EXHAUSTED (TOO_MANY_WATCHES). Each open stream holds a buffer of up to
     * {@link #setMaxPendingEventsPerWatch} events. If not called, defaults to 10,000.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxWatches(int max) {
      core.setMaxWatches(max);
      return this;
    }

    /**
     * Sets how many WatchUserActivity streams may be open at once on one user (the {@code user_id} of the
     * requests); a watch past it is refused with RESOURCE_EXHAUSTED (TOO_MANY_WATCHES). If not called,
     * defaults to 100.
     *
     * @param max at least 1
     * @return this
     */
    public Builder setMaxWatchesPerUser(int max) {
      core.setMaxWatchesPerUser(max);
      return this;
    }

    /**
     * Sets the deadline of unary calls that arrive without one: the call is closed with DEADLINE_EXCEEDED
     * when it passes, and gRPC then cancels its context. The deadline is not put in the handler's context
     * ({@code Context.current().getDeadline()} stays null), which would cost every call more. Calls with a
     * deadline keep theirs; WatchUserActivity streams get none. If not called, defaults to 30 seconds.
     *
     * @param deadline positive, or {@link Duration#ZERO} for no default deadline
     * @return this
     */
    public Builder setDefaultDeadline(Duration deadline) {
      if (requireNonNull(deadline, "deadline").isNegative() || deadline.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("deadline: " + deadline + " (expected: 0 for none, or up to 1 day)");
      }
      this.defaultDeadline = deadline;
      return this;
    }

    /**
     * Requires a bearer token on every UserService call: {@code authorization: Bearer <token>} with one of
     * {@code tokens}, granting {@value AccessTokens#READ_SCOPE} for GetUser, ListUsers and WatchUserActivity
     * and {@value AccessTokens#WRITE_SCOPE} for the other methods. Calls without a known token fail with
     * UNAUTHENTICATED, calls whose token lacks the scope with PERMISSION_DENIED; admitted calls run with
     * their {@link Principal} in the context. Health and reflection stay open. If not called, no token is
     * required (for local use and tests).
     *
     * @param tokens the accepted tokens
     * @return this
     */
    public Builder setAccessTokens(AccessTokens tokens) {
      this.accessTokens = requireNonNull(tokens, "tokens");
      return this;
    }

    /**
     * Also serves the UserService in-process under {@code name}, with the same interceptors (authentication,
     * limits, validation), for callers in this JVM such as the HTTP/JSON gateway: connect with
     * {@code InProcessChannelBuilder.forName(name)}. Health and reflection are not served there. If not
     * called, there is no in-process access.
     *
     * @param name a name unique in the JVM
     * @return this
     */
    public Builder setInProcessName(String name) {
      this.inProcessName = requireNonNull(name, "name");
      return this;
    }

    /**
     * Sets whether every call is logged when it ends, one line on the logger
     * {@code io.github.usergrpc.user.server.calls}: at WARNING for errors, at FINE for successes (see
     * {@link CallLoggingInterceptor}). The {@code x-request-id} is echoed either way. If not called, calls
     * are logged.
     *
     * @param enabled false for no call log, such as in a test fake whose faults fail calls on purpose
     * @return this
     */
    public Builder setCallLogging(boolean enabled) {
      core.setCallLogging(enabled);
      return this;
    }

    /**
     * Records metrics: gRPC's per-call metrics of the transport (and of in-process access), the store's
     * operation latency, and the open watch streams. If not called, none.
     *
     * @param metrics the metrics to record into; the server does not close them
     * @return this
     */
    public Builder setMetrics(ServerMetrics metrics) {
      this.metrics = requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * Sets which thread runs the part of each UserService call that may wait for the store: the transport's
     * ({@link CallThreads#onTransport()}), or a bounded pool of its own ({@link CallThreads#onPool}), which a
     * store that blocks needs when the transport calls on an event loop ({@code directExecutor()}). If not
     * called, calls run on the transport's thread.
     *
     * @param callThreads the choice
     * @return this
     */
    public Builder setCallThreads(CallThreads callThreads) {
      this.callThreads = requireNonNull(callThreads, "callThreads");
      return this;
    }

    /**
     * Traces every UserService call (a SERVER span, continuing the caller's W3C {@code traceparent}) and the
     * store operations it makes, and logs each call's trace id (see {@link ServerTracing}). If not called,
     * nothing is traced and no tracing code runs.
     *
     * @param tracing the tracing
     * @return this
     */
    public Builder setTracing(ServerTracing tracing) {
      this.tracing = requireNonNull(tracing, "tracing");
      return this;
    }

    /**
     * Adds an interceptor to UserService calls. Interceptors see every call with its parsed request, in the
     * order added, after authentication (so {@link Principal#current()} is set when tokens are required)
     * and before validation; an error they close a call with still gets an {@code ErrorInfo}.
     *
     * @param interceptor the interceptor
     * @return this
     */
    public Builder addInterceptor(ServerInterceptor interceptor) {
      core.addInterceptor(interceptor);
      return this;
    }

    /**
     * Builds the server; {@link UserServer#start()} starts it. Call it once.
     *
     * @return the server
     * @throws IllegalStateException if no store was set, or if this builder has built a server already
     */
    public UserServer build() {
      if (store == null) {
        throw new IllegalStateException("setStore() was not called");
      }
      if (built) {
        throw new IllegalStateException("build() was called already: a UserServer.Builder builds one server,"
            + " on the transport it was given; use a new builder for another");
      }
      built = true;
      return new UserServer(this);
    }
  }
}
