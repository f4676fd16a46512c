package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls the load tool makes, over {@code n} connections to one server: through the raw async stub (what
 * any gRPC client does; works against every server, also the seed Node server) or through the
 * {@link UserClient} facade. Requests use only fields of the seed contract.
 */
final class Calls implements AutoCloseable {

  /** The page the ListUsers load asks for: the seed's page/limit, first page of 20. */
  static final ListUsersRequest LIST_PAGE = ListUsersRequest.newBuilder().setPage(1).setLimit(20).build();

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<UserServiceGrpc.UserServiceStub> stubs = new ArrayList<>();
  private final List<UserClient> clients = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong created = new AtomicLong();
  private final String emailPrefix;
  private final boolean stubDeadline;

  /**
   * Opens {@code connections} connections (one channel each), for stubs or, with {@code facade}, for one
   * {@link UserClient} each.
   */
  Calls(int port, int connections, boolean facade, String emailPrefix) {
    this(port, connections, facade, emailPrefix, builder -> builder, false);
  }

  /**
   * As above, with the facade's builder customized, or (for stubs) a 5-second deadline set on every call as
   * the facade does.
   */
  Calls(int port, int connections, boolean facade, String emailPrefix,
      java.util.function.UnaryOperator<UserClient.Builder> customizer, boolean stubDeadline) {
    this.emailPrefix = emailPrefix;
    this.stubDeadline = stubDeadline;
    for (int i = 0; i < connections; i++) {
      if (facade) {
        clients.add(customizer.apply(UserClient.newBuilder().setChannelBuilder(channelBuilder(port))).build());
      } else {
        ManagedChannel channel = channelBuilder(port).build();
        channels.add(channel);
        stubs.add(UserServiceGrpc.newStub(channel));
      }
    }
  }

  /**
   * Returns a plaintext channel builder to 127.0.0.1 whose callbacks run on the transport's threads: the
   * load tool never blocks in them, and a thread hop per call would be the tool's cost, not the server's.
   */
  static ManagedChannelBuilder<?> channelBuilder(int port) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .directExecutor();
  }

  private int index() {
    int size = clients.isEmpty() ? stubs.size() : clients.size();
    return Math.floorMod(next.getAndIncrement(), size);
  }

  LoadGenerator.AsyncCall getUser(String id) {
    GetUserRequest request = GetUserRequest.newBuilder().setId(id).build();
    if (!clients.isEmpty()) {
      return done -> whenDone(clients.get(index()).getUser(request), done);
    }
    if (stubDeadline) {
      return done -> stubs.get(index()).withDeadlineAfter(5, TimeUnit.SECONDS).getUser(request, observer(done));
    }
    return done -> stubs.get(index()).getUser(request, observer(done));
  }

  LoadGenerator.AsyncCall listUsers() {
    if (!clients.isEmpty()) {
      return done -> whenDone(clients.get(index()).listUsers(LIST_PAGE), done);
    }
    return done -> stubs.get(index()).listUsers(LIST_PAGE, observer(done));
  }

  /** Creates a user with a new email each call (no request id: the seed contract has none). */
  LoadGenerator.AsyncCall createUser() {
    return done -> {
      CreateUserRequest request = newUser(created.incrementAndGet());
      if (!clients.isEmpty()) {
        whenDone(clients.get(index()).createUser(request), done);
      } else {
        stubs.get(index()).createUser(request, observer(done));
      }
    };
  }

  CreateUserRequest newUser(long n) {
    return CreateUserRequest.newBuilder()
        .setEmail(emailPrefix + "-" + n + "@example.com")
        .setName("Bench User " + n)
        .setRole(n % 5 == 0 ? "admin" : "viewer")
        .build();
  }

  /** Creates {@code count} users one by one and returns the first. */
  UserResponse seedUsers(int count) {
    UserServiceGrpc.UserServiceBlockingStub blocking = channels.isEmpty()
        ? null : UserServiceGrpc.newBlockingStub(channels.get(0));
    UserResponse first = null;
    for (int i = 0; i < count; i++) {
      CreateUserRequest request = newUser(created.incrementAndGet());
      UserResponse user = blocking != null
          ? blocking.withDeadlineAfter(10, TimeUnit.SECONDS).createUser(request)
          : clients.get(0).createUser(request).join();
      if (first == null) {
        first = user;
      }
    }
    return first;
  }

  /** Reports the end of a unary call to {@code done}. */
  /** Tells {@code done} how the facade's call ended, as {@link #observer} does for a stub's. */
  private static void whenDone(CompletableFuture<?> call, LoadGenerator.Done done) {
    // The future whenComplete returns would hold only a failure of done, and the load generator's callbacks
    // count their own failures: nothing waits for it.
    var unused = call.whenComplete((response, failure) -> done.done(failure == null));
  }

  static <T> StreamObserver<T> observer(LoadGenerator.Done done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable t) {
        done.done(false);
      }

      @Override
      public void onCompleted() {
        done.done(true);
      }
    };
  }

  @Override
  public void close() {
    clients.forEach(UserClient::close);
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
