package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.PageCursor;
import io.github.usergrpc.user.service.store.User;
import io.github.usergrpc.user.service.store.UserChanges;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
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
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The UserService handlers. Requests arrive validated (ValidationInterceptor); every failure goes through
 * {@link ErrorMapper}.
 */
public final class UserService extends UserServiceGrpc.UserServiceImplBase {

  /** The role of a user created or updated with an empty role. */
  static final String DEFAULT_ROLE = "viewer";
  /** The page size of a ListUsers request with limit 0. */
  static final int DEFAULT_PAGE_SIZE = 20;
  /** The largest page size; larger limits are treated as this (AIP-158). */
  static final int MAX_PAGE_SIZE = 1000;

  private final UserStore store;
  private final Clock clock;
  private final Supplier<String> ids;
  private final PageTokens pageTokens;
  private final ActivityFeed feed;

  public UserService(UserStore store, Clock clock, Supplier<String> ids, ActivityFeed feed) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    this.ids = requireNonNull(ids, "ids");
    this.feed = requireNonNull(feed, "feed");
    this.pageTokens = new PageTokens(store.secretKey());
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
    respond(responses, () -> Messages.toProto(store.find(request.getId())
        .orElseThrow(() -> new UserNotFoundException(request.getId()))));
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<UserResponse> responses) {
    respond(responses, () -> {
      NewUser user = new NewUser(ids.get(), request.getEmail(), request.getName(),
          roleOrDefault(request.getRole()), clock.millis());
      return Messages.toProto(store.create(user, nonEmpty(request.getRequestId())));
    });
  }

  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> responses) {
    respond(responses, () -> list(request));
  }

  @Override
  public void updateUser(UpdateUserRequest request, StreamObserver<UserResponse> responses) {
    respond(responses, () -> {
      UserChanges changes = new UserChanges(
          request.hasEmail() ? Optional.of(request.getEmail()) : Optional.empty(),
          request.hasName() ? Optional.of(request.getName()) : Optional.empty(),
          request.hasRole() ? Optional.of(roleOrDefault(request.getRole())) : Optional.empty());
      return Messages.toProto(
          store.update(request.getId(), changes, nonEmpty(request.getEtag()), clock.millis()));
    });
  }

  @Override
  public void deleteUser(DeleteUserRequest request, StreamObserver<Empty> responses) {
    respond(responses, () -> {
      store.delete(request.getId(), nonEmpty(request.getEtag()), clock.millis());
      return Empty.getDefaultInstance();
    });
  }

  @Override
  public void recordActivity(RecordActivityRequest request,
      StreamObserver<RecordActivityResponse> responses) {
    respond(responses, () -> RecordActivityResponse.newBuilder()
        .setEvent(Messages.toProto(store.recordActivity(request.getUserId(), request.getAction(),
            request.getDetails(), clock.millis(), nonEmpty(request.getRequestId()))))
        .build());
  }

  @Override
  public void watchUserActivity(WatchRequest request, StreamObserver<ActivityEvent> responses) {
    feed.watch(request.getUserId(), request.getResumeAfter(),
        (ServerCallStreamObserver<ActivityEvent>) responses);
  }

  private ListUsersResponse list(ListUsersRequest request) {
    int pageSize = request.getLimit() == 0 ? DEFAULT_PAGE_SIZE : Math.min(request.getLimit(), MAX_PAGE_SIZE);
    Optional<String> role = request.hasRoleFilter() ? nonEmpty(request.getRoleFilter()) : Optional.empty();
    ListUsersResponse.Builder response = ListUsersResponse.newBuilder();
    List<User> users;
    if (!request.getPageToken().isEmpty()) {
      PageCursor after = pageTokens.decode(request.getPageToken(), role);
      users = store.listAfter(role, Optional.of(after), pageSize + 1);
    } else {
      int page = Math.max(request.getPage(), 1);
      users = store.listByOffset(role, (long) (page - 1) * pageSize, pageSize + 1);
      response.setPage(page).setTotal((int) Math.min(store.count(role), Integer.MAX_VALUE));
    }
    // One user more than the page tells whether a next page exists without a second query.
    List<User> page = users.subList(0, Math.min(pageSize, users.size()));
    page.forEach(user -> response.addUsers(Messages.toProto(user)));
    if (users.size() > pageSize) {
      response.setNextPageToken(pageTokens.encode(role, PageCursor.after(page.get(page.size() - 1))));
    }
    return response.build();
  }

  private static String roleOrDefault(String role) {
    return role.isEmpty() ? DEFAULT_ROLE : role;
  }

  private static Optional<String> nonEmpty(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  private static <T> void respond(StreamObserver<T> responses, Supplier<T> handler) {
    T response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      responses.onError(ErrorMapper.toStatusException(e));
      return;
    }
    responses.onNext(response);
    responses.onCompleted();
  }
}
