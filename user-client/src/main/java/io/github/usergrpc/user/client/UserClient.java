package io.github.usergrpc.user.client;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Message;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.Empty;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.RecordActivityResponse;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The Java client of the UserService: every RPC as a {@link CompletableFuture}, with a deadline on every
 * call, retries of what is safe to retry, lazy pagination and a watch that resumes by itself.
 *
 * <pre>{@code
 * try (UserClient users = UserClient.newBuilder().setTarget("localhost:50051").usePlaintext().build()) {
 *   UserResponse ada = users.createUser("ada@example.com", "Ada Lovelace", "admin").join();
 *   UserResponse same = users.getUser(ada.getId()).join();
 *   users.listAllUsers("admin").forEach(u -> System.out.println(u.getName()));
 *   WatchHandle watch = users.watchActivity(ada.getId(), event -> System.out.println(event.getAction()));
 * }
 * }</pre>
 *
 * <h2>Failures</h2>
 * Futures fail with a {@link UserServiceException} subclass ({@link UserNotFoundException},
 * {@link UserAlreadyExistsException}, {@link InvalidArgumentException}, {@link ConflictException},
 * {@link UnavailableException}, {@link DeadlineExceededException}) that keeps the gRPC status and the
 * server's {@code ErrorInfo}. Requests are validated against the contract's rules before they are sent (see
 * {@link Builder#setValidateRequests}).
 *
 * <h2>Deadlines and retries</h2>
 * Every call gets a deadline when it starts ({@link Builder#setTimeout}, {@link #withTimeout}). Retries are
 * gRPC's own (a service config {@code retryPolicy}, see {@link #serviceConfigJson()}), on UNAVAILABLE only by
 * default, and only for calls that are safe to repeat: reads; {@code createUser} and {@code recordActivity}
 * with a {@code request_id} (added automatically unless {@link Builder#setAutomaticRequestIds} is off);
 * {@code updateUser} and {@code deleteUser} with an {@code etag}. All attempts share the call's deadline.
 *
 * <h2>Cancellation and threads</h2>
 * Cancelling a returned future cancels the call on the wire and any retry pending; futures derived from it
 * with {@code thenApply} and the like do not cancel it. Futures complete on gRPC's threads (or the
 * {@link Builder#setCallbackExecutor executor} given): do not block in callbacks. The client is thread-safe.
 */
public final class UserClient implements AutoCloseable {

  /** The RPCs, to set their default timeouts. */
  public enum Method {
    GET_USER(Duration.ofSeconds(5)),
    LIST_USERS(Duration.ofSeconds(10)),
    CREATE_USER(Duration.ofSeconds(10)),
    UPDATE_USER(Duration.ofSeconds(10)),
    DELETE_USER(Duration.ofSeconds(10)),
    RECORD_ACTIVITY(Duration.ofSeconds(5));

    private final Duration defaultTimeout;

    Method(Duration defaultTimeout) {
      this.defaultTimeout = defaultTimeout;
    }

    /** Returns the timeout the method has unless the builder sets another. */
    public Duration defaultTimeout() {
      return defaultTimeout;
    }
  }

  private final ClientChannels resources;
  private final Map<Method, Duration> timeouts;
  private final boolean ownsResources;

  private UserClient(ClientChannels resources, Map<Method, Duration> timeouts, boolean ownsResources) {
    this.resources = resources;
    this.timeouts = timeouts;
    this.ownsResources = ownsResources;
  }

  /** Returns a new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns a view of this client whose calls each get {@code timeout} as deadline, counted from the moment
   * each call starts. The view shares this client's channels; closing it does nothing, close this client.
   *
   * @param timeout the timeout of every call made through the view
   * @return the view
   */
  public UserClient withTimeout(Duration timeout) {
    RetrySettings.positive(timeout, "timeout");
    Map<Method, Duration> all = new EnumMap<>(Method.class);
    for (Method method : Method.values()) {
      all.put(method, timeout);
    }
    return new UserClient(resources, all, false);
  }

  /**
   * Returns the user with the id.
   *
   * @param id the user id
   * @return the user; fails with {@link UserNotFoundException} when there is none
   */
  public CompletableFuture<UserResponse> getUser(String id) {
    return getUser(GetUserRequest.newBuilder().setId(requireNonNull(id, "id")).build());
  }

  /**
   * Calls GetUser.
   *
   * @param request the request
   * @return the user
   */
  public CompletableFuture<UserResponse> getUser(GetUserRequest request) {
    return call(UserServiceGrpc.getGetUserMethod(), Method.GET_USER, request, true);
  }

  /**
   * Creates a user; safe to retry, because the client gives it a request id.
   *
   * @param email the email address
   * @param name the display name
   * @param role the role; empty for the default "viewer"
   * @return the created user
   */
  public CompletableFuture<UserResponse> createUser(String email, String name, String role) {
    return createUser(CreateUserRequest.newBuilder().setEmail(requireNonNull(email, "email"))
        .setName(requireNonNull(name, "name")).setRole(requireNonNull(role, "role")).build());
  }

  /**
   * Calls CreateUser. Without a {@code request_id}, the client adds a random one (unless automatic request
   * ids are off), so that a retry returns the first user instead of creating a second; a create without a
   * request id is never retried.
   *
   * @param request the request
   * @return the created user (or the one created by an earlier call with the same request id)
   */
  public CompletableFuture<UserResponse> createUser(CreateUserRequest request) {
    requireNonNull(request, "request");
    if (request.getRequestId().isEmpty() && resources.automaticRequestIds) {
      request = request.toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    }
    return call(UserServiceGrpc.getCreateUserMethod(), Method.CREATE_USER, request,
        !request.getRequestId().isEmpty());
  }

  /**
   * Calls ListUsers: one page.
   *
   * @param request the request
   * @return the page
   */
  public CompletableFuture<ListUsersResponse> listUsers(ListUsersRequest request) {
    return call(UserServiceGrpc.getListUsersMethod(), Method.LIST_USERS, request, true);
  }

  /** Returns every user, newest first, fetched lazily page by page; see {@link #listAllUsers(ListUsersRequest)}. */
  public Stream<UserResponse> listAllUsers() {
    return listAllUsers(ListUsersRequest.getDefaultInstance());
  }

  /**
   * Returns every user with a role, newest first, fetched lazily page by page.
   *
   * @param roleFilter the role
   * @return the users; see {@link #listAllUsers(ListUsersRequest)}
   */
  public Stream<UserResponse> listAllUsers(String roleFilter) {
    return listAllUsers(ListUsersRequest.newBuilder().setRoleFilter(requireNonNull(roleFilter, "roleFilter")).build());
  }

  /**
   * Returns every user that {@code template} selects, newest first, following {@code next_page_token}: a page
   * is fetched when the stream needs it, each with its own deadline, so a stream that is not consumed to
   * the end costs only the pages it read. Each user appears once, also while others are being created.
   * Consuming the stream blocks; a failed page throws its {@link UserServiceException}.
   *
   * @param template role_filter and limit (the page size) to use; page and page_token must be unset
   * @return the users
   */
  public Stream<UserResponse> listAllUsers(ListUsersRequest template) {
    requireNonNull(template, "template");
    if (template.getPage() > 1 || !template.getPageToken().isEmpty()) {
      throw new IllegalArgumentException("template: page and page_token must be unset (expected: a first page)");
    }
    Iterator<UserResponse> users = new PageIterator(template, this::listUsers);
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(users,
        Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false);
  }

  /**
   * Calls UpdateUser. Retried on UNAVAILABLE only when the request carries an etag, which makes a repeat
   * harmless.
   *
   * @param request the request
   * @return the updated user; fails with {@link ConflictException} on a stale etag
   */
  public CompletableFuture<UserResponse> updateUser(UpdateUserRequest request) {
    return call(UserServiceGrpc.getUpdateUserMethod(), Method.UPDATE_USER, request,
        !request.getEtag().isEmpty());
  }

  /**
   * Deletes the user with the id, unconditionally (not retried).
   *
   * @param id the user id
   * @return completes when the user is deleted
   */
  public CompletableFuture<Empty> deleteUser(String id) {
    return deleteUser(DeleteUserRequest.newBuilder().setId(requireNonNull(id, "id")).build());
  }

  /**
   * Calls DeleteUser. Retried on UNAVAILABLE only when the request carries an etag.
   *
   * @param request the request
   * @return completes when the user is deleted
   */
  public CompletableFuture<Empty> deleteUser(DeleteUserRequest request) {
    return call(UserServiceGrpc.getDeleteUserMethod(), Method.DELETE_USER, request,
        !request.getEtag().isEmpty());
  }

  /**
   * Publishes an activity event for a user; safe to retry, because the client gives it a request id.
   *
   * @param userId the user
   * @param action the action, such as {@code page_view}
   * @param details free-form detail
   * @return the stored event, with its sequence
   */
  public CompletableFuture<ActivityEvent> recordActivity(String userId, String action, String details) {
    return recordActivity(RecordActivityRequest.newBuilder().setUserId(requireNonNull(userId, "userId"))
        .setAction(requireNonNull(action, "action")).setDetails(requireNonNull(details, "details")).build())
        .thenApply(RecordActivityResponse::getEvent);
  }

  /**
   * Calls RecordActivity, adding a request id as {@link #createUser(CreateUserRequest)} does.
   *
   * @param request the request
   * @return the response with the stored event
   */
  public CompletableFuture<RecordActivityResponse> recordActivity(RecordActivityRequest request) {
    requireNonNull(request, "request");
    if (request.getRequestId().isEmpty() && resources.automaticRequestIds) {
      request = request.toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    }
    return call(UserServiceGrpc.getRecordActivityMethod(), Method.RECORD_ACTIVITY, request,
        !request.getRequestId().isEmpty());
  }

  /**
   * Watches a user's activity from now on; see {@link #watchActivity(String, long, ActivityListener)}.
   *
   * @param userId the user
   * @param listener receives the events
   * @return the handle that stops the watch
   */
  public WatchHandle watchActivity(String userId, ActivityListener listener) {
    return watchActivity(userId, 0, listener);
  }

  /**
   * Watches a user's activity. When the stream breaks (server restart, network, a slow consumer ended by
   * the server), the watch reconnects after a jittered backoff and resumes after the last event delivered,
   * so the listener sees every event exactly once and in order. It ends when the user is deleted
   * ({@link ActivityListener#onCompleted()}), on a permanent error ({@link ActivityListener#onError}), or
   * when the handle is cancelled. Events are requested from the server only as fast as the listener
   * returns.
   *
   * @param userId the user
   * @param resumeAfter the last sequence already seen, or 0 for events from now on
   * @param listener receives the events
   * @return the handle that stops the watch
   */
  public WatchHandle watchActivity(String userId, long resumeAfter, ActivityListener listener) {
    requireNonNull(listener, "listener");
    ResumableWatch watch = newWatch(userId, resumeAfter, new ResumableWatch.Sink() {
      @Override
      public void onEvent(ActivityEvent event) {
        listener.onEvent(event);
      }

      @Override
      public void onCompleted() {
        listener.onCompleted();
      }

      @Override
      public void onError(UserServiceException error) {
        listener.onError(error);
      }
    });
    watch.request(Long.MAX_VALUE);
    return watch;
  }

  /**
   * Returns a user's activity as a {@link Flow.Publisher} with demand-driven flow control: each subscriber
   * gets its own resumable watch (as {@link #watchActivity(String, long, ActivityListener)}), opened on its
   * first request, and the server is asked for events only as the subscriber requests them.
   *
   * @param userId the user
   * @param resumeAfter the last sequence already seen, or 0 for events from the subscription on
   * @return the publisher
   */
  public Flow.Publisher<ActivityEvent> activityPublisher(String userId, long resumeAfter) {
    requireNonNull(userId, "userId");
    return subscriber -> {
      requireNonNull(subscriber, "subscriber");
      ResumableWatch watch = newWatch(userId, resumeAfter, new ResumableWatch.Sink() {
        @Override
        public void onEvent(ActivityEvent event) {
          subscriber.onNext(event);
        }

        @Override
        public void onCompleted() {
          subscriber.onComplete();
        }

        @Override
        public void onError(UserServiceException error) {
          subscriber.onError(error);
        }
      });
      subscriber.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {
          if (n <= 0) {
            watch.cancel();
            subscriber.onError(new IllegalArgumentException("n: " + n + " (expected: > 0, rule 3.9)"));
            return;
          }
          watch.request(n);
        }

        @Override
        public void cancel() {
          watch.cancel();
        }
      });
    };
  }

  /**
   * Returns the service config that carries this client's retry and hedging policy, as JSON: what is
   * retried, how often and on which codes. Calls that are not safe to repeat (see the class comment) go
   * through a channel without retries instead.
   */
  public String serviceConfigJson() {
    return ServiceConfigs.toJson(resources.serviceConfig);
  }

  /** Returns the timeout each method's calls get. */
  public Map<Method, Duration> timeouts() {
    return Map.copyOf(timeouts);
  }

  /**
   * Stops active watches and shuts down the channels this client created, waiting up to 5 seconds for calls
   * in flight. A channel given to {@link Builder#setChannel} is left open. Idempotent; does nothing on a
   * {@link #withTimeout} view.
   */
  @Override
  public void close() {
    if (ownsResources) {
      resources.close();
    }
  }

  private ResumableWatch newWatch(String userId, long resumeAfter, ResumableWatch.Sink sink) {
    requireNonNull(userId, "userId");
    if (resumeAfter < 0) {
      throw new IllegalArgumentException("resumeAfter: " + resumeAfter + " (expected: >= 0)");
    }
    resources.checkOpen();
    ResumableWatch[] self = new ResumableWatch[1];
    CallOptions options = resources.callOptions(CallOptions.DEFAULT);
    if (resources.waitForReady) {
      options = options.withWaitForReady();
    }
    ResumableWatch watch = new ResumableWatch(resources.retrying, options,
        resources.scheduler, resources.watchInitialBackoff, resources.watchMaxBackoff, userId, resumeAfter,
        new ResumableWatch.Sink() {
          @Override
          public void onEvent(ActivityEvent event) {
            sink.onEvent(event);
          }

          @Override
          public void onCompleted() {
            resources.watches.remove(self[0]);
            sink.onCompleted();
          }

          @Override
          public void onError(UserServiceException error) {
            resources.watches.remove(self[0]);
            sink.onError(error);
          }
        }, resources.validateRequests);
    self[0] = watch;
    resources.watches.add(watch);
    return watch;
  }

  private <ReqT extends Message, RespT> CompletableFuture<RespT> call(MethodDescriptor<ReqT, RespT> method,
      Method which, ReqT request, boolean safeToRetry) {
    requireNonNull(request, "request");
    if (resources.validateRequests) {
      Optional<InvalidArgumentException> invalid = LocalValidation.check(request);
      if (invalid.isPresent()) {
        return CompletableFuture.failedFuture(invalid.get());
      }
    }
    resources.checkOpen();
    // The deadline is fixed here, when the call starts, never on a stub kept across calls.
    CallOptions options = resources.callOptions(
        CallOptions.DEFAULT.withDeadlineAfter(timeouts.get(which).toNanos(), TimeUnit.NANOSECONDS));
    if (safeToRetry && resources.waitForReady) {
      // While the channel reconnects (a server restart), wait for it within the deadline instead of failing.
      options = options.withWaitForReady();
    }
    return UnaryCall.start(safeToRetry ? resources.retrying : resources.once, method, options, request);
  }

  /**
   * Configures a {@link UserClient}. Give it exactly one of a target ({@link #setTarget}), a channel builder
   * ({@link #setChannelBuilder}) or a channel ({@link #setChannel}). Not thread-safe.
   */
  public static final class Builder {

    /** The default of {@link #setWatchBackoff}: the first reconnect waits up to this long. */
    public static final Duration DEFAULT_WATCH_INITIAL_BACKOFF = Duration.ofMillis(100);
    /** The default of {@link #setWatchBackoff}: no reconnect waits longer than this. */
    public static final Duration DEFAULT_WATCH_MAX_BACKOFF = Duration.ofSeconds(5);

    // Package-private: ClientChannels builds the channels from them.
    String target;
    ManagedChannelBuilder<?> channelBuilder;
    Channel channel;
    boolean plaintext;
    Path trustedCertificates;
    Path clientCertificateChain;
    Path clientPrivateKey;
    String authorityOverride;
    String loadBalancingPolicy;
    Supplier<String> bearerToken;
    Supplier<Metadata> headers;
    final Map<Method, Duration> timeouts = new EnumMap<>(Method.class);
    RetrySettings retry = RetrySettings.defaults();
    OpenTelemetry openTelemetry;
    HedgingSettings hedging;
    boolean automaticRequestIds = true;
    boolean validateRequests = true;
    boolean waitForReady = true;
    Duration watchInitialBackoff = DEFAULT_WATCH_INITIAL_BACKOFF;
    Duration watchMaxBackoff = DEFAULT_WATCH_MAX_BACKOFF;
    Executor callbackExecutor;
    ScheduledExecutorService scheduler;

    private Builder() {
      for (Method method : Method.values()) {
        timeouts.put(method, method.defaultTimeout());
      }
    }

    /**
     * Sets the server to call: any gRPC target string, such as {@code localhost:50051} or
     * {@code dns:///users.internal:50051} (with {@link #setLoadBalancingPolicy} to spread calls over every
     * address). The client creates and owns the channel. TLS with the system's trusted roots unless
     * {@link #usePlaintext()}.
     *
     * @param target the target
     * @return this
     */
    public Builder setTarget(String target) {
      this.target = requireNonNull(target, "target");
      return this;
    }

    /**
     * Sets a channel builder to create the channels from, such as an {@code InProcessChannelBuilder} or a
     * {@code NettyChannelBuilder} the caller has configured. The client adds its service config, builds two
     * channels (with and without retries) and owns them.
     *
     * @param channelBuilder the builder; the client changes its retry settings
     * @return this
     */
    public Builder setChannelBuilder(ManagedChannelBuilder<?> channelBuilder) {
      this.channelBuilder = requireNonNull(channelBuilder, "channelBuilder");
      return this;
    }

    /**
     * Sets an existing channel to call through. The client does not own it and never shuts it down; retries
     * are whatever that channel's service config says (the client's {@link RetrySettings} need a target or
     * channel builder).
     *
     * @param channel the channel
     * @return this
     */
    public Builder setChannel(Channel channel) {
      this.channel = requireNonNull(channel, "channel");
      return this;
    }

    /**
     * Talks plaintext HTTP/2 to a target: for local development only.
     *
     * @return this
     */
    public Builder usePlaintext() {
      this.plaintext = true;
      return this;
    }

    /**
     * Trusts the certificate authorities in a PEM file instead of the system's, for a server with a private CA.
     *
     * @param caCertificates PEM file with one or more CA certificates
     * @return this
     */
    public Builder setTrustedCertificates(Path caCertificates) {
      this.trustedCertificates = requireNonNull(caCertificates, "caCertificates");
      return this;
    }

    /**
     * Presents a client certificate (mutual TLS).
     *
     * @param certificateChain PEM certificate chain
     * @param privateKey PEM private key (PKCS#8)
     * @return this
     */
    public Builder setClientCertificate(Path certificateChain, Path privateKey) {
      this.clientCertificateChain = requireNonNull(certificateChain, "certificateChain");
      this.clientPrivateKey = requireNonNull(privateKey, "privateKey");
      return this;
    }

    /**
     * Sets the authority that calls carry ({@code :authority}) and that TLS checks the server's certificate
     * against, instead of the target's host: for a target whose certificate names another host, such as a
     * server reached by IP address, through a tunnel, or with a test certificate. Use only names the server
     * really serves: this changes which certificate is accepted. Applies to {@link #setTarget} only. If not
     * called, the authority is the target's host and port.
     *
     * @param authority a host name, optionally with {@code :port}, such as {@code users.internal}
     * @return this
     */
    public Builder setAuthorityOverride(String authority) {
      this.authorityOverride = requireNonNull(authority, "authority");
      return this;
    }

    /**
     * Sets the load-balancing policy of a target's channel, such as {@code round_robin} to spread calls over
     * every address a DNS name resolves to. If not called, gRPC's default ({@code pick_first}).
     *
     * @param policy the policy name
     * @return this
     */
    public Builder setLoadBalancingPolicy(String policy) {
      this.loadBalancingPolicy = requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sends {@code authorization: Bearer <token>} with every call, asking the supplier each time so that a
     * token can be refreshed. Calls over a plaintext connection fail with UNAUTHENTICATED instead of sending
     * the token in the clear (in-process channels count as private).
     *
     * @param token returns the current token
     * @return this
     */
    public Builder setBearerToken(Supplier<String> token) {
      this.bearerToken = requireNonNull(token, "token");
      return this;
    }

    /**
     * Adds the headers the supplier returns to every call.
     *
     * @param headers returns the headers for one call
     * @return this
     */
    public Builder setHeaders(Supplier<Metadata> headers) {
      this.headers = requireNonNull(headers, "headers");
      return this;
    }

    /**
     * Sets the timeout of every method's calls. If not called, each method has its
     * {@link Method#defaultTimeout()}.
     *
     * @param timeout positive
     * @return this
     */
    public Builder setTimeout(Duration timeout) {
      RetrySettings.positive(timeout, "timeout");
      for (Method method : Method.values()) {
        timeouts.put(method, timeout);
      }
      return this;
    }

    /**
     * Sets the timeout of one method's calls. If not called, {@link Method#defaultTimeout()}.
     *
     * @param method the method
     * @param timeout positive
     * @return this
     */
    public Builder setTimeout(Method method, Duration timeout) {
      timeouts.put(requireNonNull(method, "method"), RetrySettings.positive(timeout, "timeout"));
      return this;
    }

    /**
     * Traces every call into {@code openTelemetry}: a CLIENT span per call ({@code user.UserService/GetUser},
     * with {@code rpc.*} attributes and the gRPC status), under it an {@code Attempt} span per attempt, retries
     * and hedges included, and the attempt's W3C {@code traceparent} sent to the server (with the
     * propagators of {@code openTelemetry}). A call is a child of the span current when it is made. If not
     * called, nothing is traced and no {@code traceparent} is sent.
     *
     * @param openTelemetry the OpenTelemetry (an SDK the application configures; the client needs only the
     *     API)
     * @return this
     */
    public Builder setOpenTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Sets the retry policy. If not called, {@link RetrySettings#defaults()}.
     *
     * @param retry the settings; {@link RetrySettings#disabled()} never retries
     * @return this
     */
    public Builder setRetrySettings(RetrySettings retry) {
      this.retry = requireNonNull(retry, "retry");
      return this;
    }

    /**
     * Turns on hedging for getUser and listUsers (off if not called). Hedged methods are not retried.
     *
     * @param hedging the settings
     * @return this
     */
    public Builder setHedging(HedgingSettings hedging) {
      this.hedging = requireNonNull(hedging, "hedging");
      return this;
    }

    /**
     * Sets whether createUser and recordActivity requests without a request id get a random one, which
     * makes them safe to retry. If not called, true.
     *
     * @param enabled whether to add request ids
     * @return this
     */
    public Builder setAutomaticRequestIds(boolean enabled) {
      this.automaticRequestIds = enabled;
      return this;
    }

    /**
     * Sets whether requests are checked against the contract's validation rules before sending, failing
     * with the {@link InvalidArgumentException} the server would give, without a network call. If not
     * called, true.
     *
     * @param enabled whether to validate
     * @return this
     */
    public Builder setValidateRequests(boolean enabled) {
      this.validateRequests = enabled;
      return this;
    }

    /**
     * Sets whether calls that are safe to retry, and watches, wait for the channel to be ready (gRPC's
     * {@code waitForReady}) within their deadline: while the channel reconnects after a server restart they
     * wait instead of failing at once with UNAVAILABLE; against a server that stays down they end with
     * DEADLINE_EXCEEDED at their deadline. Calls that are not safe to retry always fail fast. If not called,
     * true.
     *
     * @param enabled whether to wait
     * @return this
     */
    public Builder setWaitForReady(boolean enabled) {
      this.waitForReady = enabled;
      return this;
    }

    /**
     * Sets the backoff between reconnects of a broken watch: the first waits up to {@code initial}, each
     * next one up to twice as long, never more than {@code max}; each wait is random in its upper half. If
     * not called, 100 ms and 5 s.
     *
     * @param initial positive
     * @param max at least {@code initial}
     * @return this
     */
    public Builder setWatchBackoff(Duration initial, Duration max) {
      RetrySettings.positive(initial, "initial");
      RetrySettings.positive(max, "max");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
      }
      this.watchInitialBackoff = initial;
      this.watchMaxBackoff = max;
      return this;
    }

    /**
     * Sets the executor that completes futures and runs listeners. The client does not own it. If not
     * called, gRPC's channel executor.
     *
     * @param executor the executor
     * @return this
     */
    public Builder setCallbackExecutor(Executor executor) {
      this.callbackExecutor = requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets the scheduler for watch reconnects. The client does not own it. If not called, the client
     * creates a single daemon thread and stops it on close.
     *
     * @param scheduler the scheduler
     * @return this
     */
    public Builder setScheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the client.
     *
     * @return the client
     * @throws IllegalStateException if not exactly one of target, channel builder and channel was set, or
     *     TLS files or an authority override were given without a target
     */
    public UserClient build() {
      int sources = (target != null ? 1 : 0) + (channelBuilder != null ? 1 : 0) + (channel != null ? 1 : 0);
      if (sources != 1) {
        throw new IllegalStateException("set exactly one of setTarget(), setChannelBuilder() and setChannel()"
            + " (set: " + sources + ")");
      }
      boolean tlsFiles = trustedCertificates != null || clientCertificateChain != null;
      if ((tlsFiles || plaintext || authorityOverride != null) && target == null) {
        throw new IllegalStateException(
            "usePlaintext(), TLS files and setAuthorityOverride() apply to setTarget() only");
      }
      if (tlsFiles && plaintext) {
        throw new IllegalStateException("usePlaintext() and TLS files exclude each other");
      }
      return new UserClient(new ClientChannels(this), new EnumMap<>(timeouts), true);
    }

    ChannelCredentials credentials() {
      if (plaintext) {
        return InsecureChannelCredentials.create();
      }
      try {
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
        if (trustedCertificates != null) {
          tls.trustManager(trustedCertificates.toFile());
        }
        if (clientCertificateChain != null) {
          tls.keyManager(clientCertificateChain.toFile(), clientPrivateKey.toFile());
        }
        return tls.build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the TLS files", e);
      }
    }
  }
}
