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
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The Java client of the UserService: every RPC as a {@link CompletableFuture}, with a deadline on every
 * call, retries of what is safe to retry, paging and a watch that resumes by itself. This class is the RPC
 * facade; its configuration is {@link UserClientSettings}, its paging {@link ListUsersPagedResponse}.
 *
 * <pre>{@code
 * try (UserClient users = UserClient.newBuilder().setTarget("localhost:50051").usePlaintext().build()) {
 *   UserResponse ada = users.createUser("ada@example.com", "Ada Lovelace", "admin").join();
 *   UserResponse same = users.getUser(ada.getId()).join();
 *   for (UserResponse admin : users.listUsersPaged(ListUsersRequest.newBuilder().setRoleFilter("admin").build())
 *       .iterateAll()) {
 *     System.out.println(admin.getName());
 *   }
 *   WatchHandle watch = users.watchActivity(ada.getId(), event -> System.out.println(event.getAction()));
 * }
 * }</pre>
 *
 * <h2>Failures</h2>
 * Futures fail with a {@link UserServiceException} subclass ({@link UserNotFoundException},
 * {@link UserAlreadyExistsException}, {@link InvalidArgumentException}, {@link ConflictException},
 * {@link UnavailableException}, {@link DeadlineExceededException}) that keeps the gRPC status and the
 * server's {@code ErrorInfo}; blocking methods throw it. Requests are validated against the contract's rules
 * before they are sent (see {@link ClientSettingsBuilder#setValidateRequests}).
 *
 * <h2>Deadlines and retries</h2>
 * Every call gets a deadline when it starts ({@link ClientSettingsBuilder#setTimeout(Duration)},
 * {@link #withTimeout}). Retries are gRPC's own (a service config {@code retryPolicy}, see
 * {@link #serviceConfigJson()}), on UNAVAILABLE only by default, and only for calls that are safe to repeat:
 * reads; {@code createUser} and {@code recordActivity} with a {@code request_id} (added automatically unless
 * {@link ClientSettingsBuilder#setAutomaticRequestIds} is off); {@code updateUser} and {@code deleteUser} with
 * an {@code etag}. All attempts share the call's deadline.
 *
 * <h2>Cancellation and threads</h2>
 * Cancelling a returned future cancels the call on the wire and any retry pending; futures derived from it
 * with {@code thenApply} and the like do not cancel it. Futures complete on gRPC's threads (or the
 * {@link ClientSettingsBuilder#setCallbackExecutor executor} given): do not block in callbacks. The client
 * is thread-safe.
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
  private final ActivityWatches watches;
  private final Map<Method, Duration> timeouts;
  private final boolean ownsResources;

  private UserClient(ClientChannels resources, Map<Method, Duration> timeouts, boolean ownsResources) {
    this.resources = resources;
    this.watches = new ActivityWatches(resources);
    this.timeouts = timeouts;
    this.ownsResources = ownsResources;
  }

  /** Returns a new builder: {@link UserClientSettings}' setters, and a {@code build()} that creates the client. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Creates a client with the settings. The client creates and owns the channels of a target or channel
   * builder, and closes them on {@link #close()}; a channel in the settings stays the caller's.
   *
   * @param settings the settings
   * @return the client
   */
  public static UserClient create(UserClientSettings settings) {
    requireNonNull(settings, "settings");
    return new UserClient(new ClientChannels(settings), new EnumMap<>(settings.timeouts()), true);
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
    if (request.getRequestId().isEmpty() && resources.settings.automaticRequestIds()) {
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

  /**
   * Calls ListUsers and returns the first page with the way to every next one: {@link
   * ListUsersPagedResponse#iterateAll()} follows {@code next_page_token}, fetching each page when it is
   * needed. Blocks until the first page arrives.
   *
   * @param request the first page's request; page_token may continue an earlier listing
   * @return the paged response
   * @throws UserServiceException (a subclass of it) if the first page fails, also when the request is invalid
   */
  public ListUsersPagedResponse listUsersPaged(ListUsersRequest request) {
    return ListUsersPage.join(listUsersPagedAsync(request));
  }

  /**
   * Calls ListUsers and completes with the first page and the way to every next one, without blocking; walk
   * on with {@link ListUsersPage#getNextPageAsync()}. Cancelling the future cancels the call.
   *
   * @param request the first page's request; page_token may continue an earlier listing
   * @return the paged response; fails with the {@link UserServiceException} of the first page
   */
  public CompletableFuture<ListUsersPagedResponse> listUsersPagedAsync(ListUsersRequest request) {
    requireNonNull(request, "request");
    return ListUsersPage.fetch(request, this::listUsers, ListUsersPagedResponse::new);
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
   * is fetched when the stream needs it (the first one too), each with its own deadline, so a stream that is
   * not consumed to the end costs only the pages it read. Each user appears once, also while others are being
   * created. Consuming the stream blocks; a failed page throws its {@link UserServiceException}. The same as
   * {@code listUsersPaged(template).streamAll()}, except that no call is made before the stream is consumed.
   *
   * @param template role_filter and limit (the page size) to use; page and page_token must be unset
   * @return the users
   */
  public Stream<UserResponse> listAllUsers(ListUsersRequest template) {
    requireNonNull(template, "template");
    if (template.getPage() > 1 || !template.getPageToken().isEmpty()) {
      throw new IllegalArgumentException("template: page and page_token must be unset (expected: a first page)");
    }
    ListUsersRequest first = template.toBuilder().setPage(0).build();
    return StreamSupport.stream(() -> listUsersPaged(first).iterateAll().spliterator(),
        ListUsersPage.CHARACTERISTICS, false);
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
    if (request.getRequestId().isEmpty() && resources.settings.automaticRequestIds()) {
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
    return watches.watch(userId, resumeAfter, listener);
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
    return watches.publisher(userId, resumeAfter);
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
   * in flight. A channel given to {@link ClientSettingsBuilder#setChannel} is left open. Idempotent; does nothing on a
   * {@link #withTimeout} view.
   */
  @Override
  public void close() {
    if (ownsResources) {
      resources.close();
    }
  }

  private <ReqT extends Message, RespT> CompletableFuture<RespT> call(MethodDescriptor<ReqT, RespT> method,
      Method which, ReqT request, boolean safeToRetry) {
    return resources.unary(method, timeouts.get(which), request, safeToRetry);
  }

  /**
   * Configures and builds a {@link UserClient}: the setters of {@link UserClientSettings} (see
   * {@link ClientSettingsBuilder} for each one and its default, and for the {@code DEFAULT_*} constants), and
   * {@link #build()}. Give it exactly one of a target, a channel builder or a channel. Not thread-safe.
   */
  public static final class Builder extends ClientSettingsBuilder<Builder> {

    private Builder() {}

    /**
     * Builds the client; the same as {@code UserClient.create(settings)} with these settings.
     *
     * @return the client
     * @throws IllegalStateException if not exactly one of target, channel builder and channel was set, or
     *     TLS files or an authority override were given without a target
     */
    public UserClient build() {
      return create(buildSettings());
    }
  }
}
