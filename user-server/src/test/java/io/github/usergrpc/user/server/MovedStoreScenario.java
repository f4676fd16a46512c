package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.DeleteUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.ListUsersResponse;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A store filled over gRPC with every kind of record a move must keep (users of several roles, updated and
 * deleted ones, events of deleted users, CreateUser and RecordActivity request ids), and the answers the
 * server gave on it, which a server on the moved store must give alike.
 */
final class MovedStoreScenario {

  private final List<UserResponse> users = new ArrayList<>();
  private ListUsersResponse all;
  private ListUsersResponse admins;
  private String aliceId;
  private long resumeAfter;
  private List<ActivityEvent> aliceReplay;
  private String erinId;
  private long erinResumeAfter;
  private List<ActivityEvent> erinReplay;
  private ActivityEvent recorded;
  private UserResponse aliceAsCreated;
  /** Every user's head, the deleted ones' included: a user created again continues from it. */
  private Map<String, Long> heads;
  private final List<String> ids = new ArrayList<>();
  private String pageToken;

  /** Fills {@code store} through a real server, then records what that server answers. */
  static MovedStoreScenario fill(UserStore store) throws Exception {
    MovedStoreScenario scenario = new MovedStoreScenario();
    try (Served served = Served.on(store)) {
      scenario.fill(served.users());
      scenario.readAnswers(served);
      scenario.heads = store.lastSequences(scenario.ids);
    }
    return scenario;
  }

  private void fill(UserServiceGrpc.UserServiceBlockingStub users) {
    aliceAsCreated = users.createUser(create("alice@example.com", "Alice", "admin").setRequestId("0e0a1a11-0000-4000-8000-000000000001").build());
    aliceId = aliceAsCreated.getId();
    UserResponse bob = users.createUser(create("bob@example.com", "Bob", "member").build());
    UserResponse carol = users.createUser(create("Carol@Example.com", "Carol", "member").build());
    users.createUser(create("dave@example.com", "Dave", "viewer").build());
    UserResponse erin = users.createUser(create("erin@example.com", "Erin", "member").build());
    UserResponse frank = users.createUser(create("frank@example.com", "Frank", "admin").setRequestId("0e0a1a11-0000-4000-8000-000000000002")
        .build());
    erinId = erin.getId();
    ids.addAll(List.of(aliceId, bob.getId(), carol.getId(), erinId, frank.getId()));
    users.updateUser(UpdateUserRequest.newBuilder().setId(bob.getId()).setName("Robert").build());
    users.updateUser(UpdateUserRequest.newBuilder().setId(carol.getId()).setRole("admin").build());
    users.updateUser(UpdateUserRequest.newBuilder().setId(carol.getId()).setName("Caroline").build());
    recorded = users.recordActivity(record(aliceId, "page_view", "/home").setRequestId("0e0a1a11-0000-4000-8000-000000000003").build()).getEvent();
    users.recordActivity(record(bob.getId(), "login", "web").setRequestId("0e0a1a11-0000-4000-8000-000000000004").build());
    resumeAfter = recorded.getSequence();
    users.recordActivity(record(aliceId, "page_view", "/settings").build());
    users.updateUser(UpdateUserRequest.newBuilder().setId(aliceId).setName("Alice A.").build());
    users.recordActivity(record(aliceId, "logout", "").setRequestId("0e0a1a11-0000-4000-8000-000000000005").build());
    erinResumeAfter = users.recordActivity(record(erinId, "page_view", "/bye").build()).getEvent().getSequence() - 1;
    users.deleteUser(DeleteUserRequest.newBuilder().setId(erinId).build());
    users.deleteUser(DeleteUserRequest.newBuilder().setId(frank.getId()).setEtag(frank.getEtag()).build());
  }

  private void readAnswers(Served served) throws Exception {
    UserServiceGrpc.UserServiceBlockingStub stub = served.users();
    all = stub.listUsers(ListUsersRequest.newBuilder().setLimit(100).build());
    admins = stub.listUsers(ListUsersRequest.newBuilder().setLimit(100).setRoleFilter("admin").build());
    pageToken = stub.listUsers(ListUsersRequest.newBuilder().setLimit(2).build()).getNextPageToken();
    for (UserResponse listed : all.getUsersList()) {
      users.add(stub.getUser(GetUserRequest.newBuilder().setId(listed.getId()).build()));
    }
    aliceReplay = served.watch(aliceId, resumeAfter, 3);
    erinReplay = served.watch(erinId, erinResumeAfter, 2);
  }

  /** Checks that a server on {@code moved} answers as the server on the original store did. */
  void checkServedBy(UserStore moved) throws Exception {
    assertThat(heads.get(erinId)).as("a deleted user's head").isPositive();
    assertThat(moved.lastSequences(ids)).isEqualTo(heads);
    try (Served served = Served.on(moved)) {
      UserServiceGrpc.UserServiceBlockingStub stub = served.users();
      assertThat(all.getTotal()).isEqualTo(4);
      assertThat(admins.getTotal()).isEqualTo(2);
      assertThat(stub.listUsers(ListUsersRequest.newBuilder().setLimit(100).build())).isEqualTo(all);
      assertThat(stub.listUsers(ListUsersRequest.newBuilder().setLimit(100).setRoleFilter("admin").build()))
          .isEqualTo(admins);
      for (UserResponse user : users) {
        assertThat(stub.getUser(GetUserRequest.newBuilder().setId(user.getId()).build()))
            .as("GetUser %s, etag included", user.getId()).isEqualTo(user);
      }
      // The page-token secret is not moved: a token of the old store is refused, not misread.
      assertThat(pageToken).isNotEmpty();
      Status refused = Status.fromThrowable(org.assertj.core.api.Assertions.catchThrowable(() -> stub.listUsers(
          ListUsersRequest.newBuilder().setLimit(2).setPageToken(pageToken).build())));
      assertThat(refused.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      // Request ids moved with their records: a retry returns what the first call did.
      assertThat(stub.recordActivity(record(aliceId, "page_view", "/home").setRequestId("0e0a1a11-0000-4000-8000-000000000003").build())
          .getEvent()).isEqualTo(recorded);
      assertThat(stub.createUser(create("alice@example.com", "Alice", "admin").setRequestId("0e0a1a11-0000-4000-8000-000000000001").build()))
          .isEqualTo(aliceAsCreated);
      // A deleted user's events are kept: its watch replays them and completes after user.deleted.
      assertThat(served.watch(erinId, erinResumeAfter, 3)).isEqualTo(erinReplay)
          .extracting(ActivityEvent::getAction).containsExactly("page_view", "user.deleted");
      // A watch resuming from an old point replays exactly what followed it, then what is new.
      Context.CancellableContext watching = Context.current().withCancellation();
      try {
        Iterator<ActivityEvent> watch = watching.call(() -> served.users().withDeadlineAfter(20, TimeUnit.SECONDS)
            .watchUserActivity(WatchRequest.newBuilder().setUserId(aliceId).setResumeAfter(resumeAfter).build()));
        List<ActivityEvent> replayed = new ArrayList<>();
        for (int i = 0; i < aliceReplay.size(); i++) {
          replayed.add(watch.next());
        }
        assertThat(replayed).isEqualTo(aliceReplay);
        ActivityEvent added = stub.recordActivity(record(aliceId, "page_view", "/after-the-move").build()).getEvent();
        assertThat(added.getSequence()).as("sequences continue after the moved log").isGreaterThan(heads.get(aliceId));
        assertThat(watch.next()).isEqualTo(added);
      } finally {
        watching.cancel(null);
      }
    }
  }

  private static CreateUserRequest.Builder create(String email, String name, String role) {
    return CreateUserRequest.newBuilder().setEmail(email).setName(name).setRole(role);
  }

  private static RecordActivityRequest.Builder record(String userId, String action, String details) {
    return RecordActivityRequest.newBuilder().setUserId(userId).setAction(action).setDetails(details);
  }

  /** A server on a real port over a store it does not own, and a channel to it. */
  private record Served(UserServer server, ManagedChannel channel) implements AutoCloseable {

    static Served on(UserStore store) throws Exception {
      UserServer server = UserServer.newBuilder(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
          .setStore(store).build().start();
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          InsecureChannelCredentials.create()).build();
      return new Served(server, channel);
    }

    UserServiceGrpc.UserServiceBlockingStub users() {
      return UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** Returns the first {@code count} events of a watch resumed after {@code resumeAfter}. */
    List<ActivityEvent> watch(String userId, long resumeAfter, int count) throws Exception {
      Context.CancellableContext watching = Context.current().withCancellation();
      try {
        return watching.call(() -> {
          Iterator<ActivityEvent> events = users().watchUserActivity(WatchRequest.newBuilder().setUserId(userId)
              .setResumeAfter(resumeAfter).build());
          List<ActivityEvent> taken = new ArrayList<>();
          while (taken.size() < count && events.hasNext()) {
            taken.add(events.next());
          }
          return taken;
        });
      } finally {
        watching.cancel(null);
      }
    }

    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
