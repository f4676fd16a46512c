package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.Channel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-user sequences under concurrent writers on two servers of one database: every watcher, on either
 * server, receives each event of its user exactly once, in sequence order, without a gap (a user's
 * sequences are dense), and what the watchers received is what the table holds. On PostgreSQL also with
 * LISTEN/NOTIFY as the only way the servers learn of each other's commits.
 */
class PerUserActivityOrderTest {

  private static final int SHARED_USERS = 4;
  private static final int WRITERS_PER_SERVER = 4;
  private static final int CALLS_PER_WRITER = 60;
  /** A poll interval no test outlives. */
  private static final Duration NO_POLL = Duration.ofHours(1);

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  @Timeout(120)
  void h2_twoStoresOnOneDatabase_everyWatcherSeesEachEventOnceInOrder() throws Exception {
    JdbcSettings settings = JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:h2:mem:per-user-order-" + UUID.randomUUID()).build();
    // Two stores on one database, as two processes would have: each sees the other's commits only by polling.
    try (JdbcUserStore first = JdbcUserStore.open(settings);
        JdbcUserStore second = JdbcUserStore.open(settings);
        InProcessServer serverA = new InProcessServer(first);
        InProcessServer serverB = new InProcessServer(second)) {
      check(List.of(serverA.channel(), serverB.channel()), first);
    }
  }

  /** SQLite: two stores on one file share only the database's write lock (and each its own in Java). */
  @Test
  @Timeout(120)
  void sqlite_twoStoresOnOneFile_everyWatcherSeesEachEventOnceInOrder(@TempDir Path directory) throws Exception {
    JdbcSettings settings = JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:sqlite:" + directory.resolve("per-user-order.db")).build();
    try (JdbcUserStore first = JdbcUserStore.open(settings);
        JdbcUserStore second = JdbcUserStore.open(settings);
        InProcessServer serverA = new InProcessServer(first);
        InProcessServer serverB = new InProcessServer(second)) {
      check(List.of(serverA.channel(), serverB.channel()), first);
    }
  }

  @Test
  @Timeout(180)
  void postgres_twoServerProcesses_everyWatcherSeesEachEventOnceInOrder() throws Exception {
    List<String> args = new ArrayList<>(List.of("--port", "0", "--store", postgres.jdbcUrl(),
        "--db-user", postgres.user()));
    if (!postgres.password().isEmpty()) {
      args.addAll(List.of("--db-password", postgres.password()));
    }
    try (ServerProcess serverA = ServerProcess.start(args.toArray(String[]::new));
        ServerProcess serverB = ServerProcess.start(args.toArray(String[]::new));
        JdbcUserStore table = JdbcUserStore.open(postgres.settings())) {
      check(List.of(channelTo(serverA), channelTo(serverB)), table);
    }
  }

  /**
   * PostgreSQL, two stores that poll once an hour: each server hears of the other's commits only by
   * LISTEN/NOTIFY, which wakes its feed as a local commit does (without it, the watchers would miss the other
   * server's events).
   */
  @Test
  @Timeout(180)
  void postgres_twoStoresWokenByNotifyAlone_everyWatcherSeesEachEventOnceInOrder() throws Exception {
    try (JdbcUserStore first = JdbcUserStore.open(postgres.settings());
        JdbcUserStore second = JdbcUserStore.open(postgres.settings());
        InProcessServer serverA = new InProcessServer(first, builder -> builder.setWatchPollInterval(NO_POLL));
        InProcessServer serverB = new InProcessServer(second, builder -> builder.setWatchPollInterval(NO_POLL))) {
      check(List.of(serverA.channel(), serverB.channel()), first);
    }
  }

  private Channel channelTo(ServerProcess server) {
    return cleanup.register(ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build());
  }

  /**
   * Watches each shared user on every server, resuming after a first event, while writers on every server
   * update the shared users, record their activity and create users of their own; then one last event per
   * user, and checks what every watcher received.
   */
  private static void check(List<Channel> servers, UserStore table) throws Exception {
    UserServiceGrpc.UserServiceBlockingStub first = blocking(servers.get(0));
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> users = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    for (int i = 0; i < SHARED_USERS; i++) {
      String id = first.createUser(CreateUserRequest.newBuilder().setEmail("shared" + i + "-" + run + "@example.com")
          .setName("Shared").build()).getId();
      users.add(id);
      starts.add(first.recordActivity(RecordActivityRequest.newBuilder().setUserId(id).setAction("start").build())
          .getEvent().getSequence());
    }
    List<Watcher> watchers = new ArrayList<>();
    for (int u = 0; u < SHARED_USERS; u++) {
      for (Channel server : servers) {
        Watcher watcher = new Watcher(users.get(u), starts.get(u));
        UserServiceGrpc.newStub(server).watchUserActivity(WatchRequest.newBuilder().setUserId(users.get(u))
            .setResumeAfter(starts.get(u)).build(), watcher);
        watchers.add(watcher);
      }
    }

    ExecutorService writers = Executors.newFixedThreadPool(servers.size() * WRITERS_PER_SERVER);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < servers.size() * WRITERS_PER_SERVER; w++) {
        Channel server = servers.get(w % servers.size());
        Random random = new Random(w);
        String writer = run + "-" + w;
        done.add(writers.submit(() -> {
          for (int call = 0; call < CALLS_PER_WRITER; call++) {
            // A stub per call: its deadline starts with the call, not with the writer (a loaded machine).
            UserServiceGrpc.UserServiceBlockingStub stub = blocking(server);
            String user = users.get(random.nextInt(SHARED_USERS));
            switch (call % 3) {
              case 0 -> stub.updateUser(UpdateUserRequest.newBuilder().setId(user).setName(writer + "-" + call)
                  .build());
              case 1 -> stub.recordActivity(RecordActivityRequest.newBuilder().setUserId(user).setAction("tick")
                  .setDetails(writer + "-" + call).build());
              default -> {
                String own = stub.createUser(CreateUserRequest.newBuilder()
                    .setEmail("own" + call + "-" + writer + "@example.com").setName("Own").build()).getId();
                stub.recordActivity(RecordActivityRequest.newBuilder().setUserId(own).setAction("tick").build());
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> writer : done) {
        writer.get(120, TimeUnit.SECONDS);
      }
    } finally {
      writers.shutdownNow();
    }
    for (int u = 0; u < SHARED_USERS; u++) {
      long end = blocking(servers.get(u % servers.size())).recordActivity(RecordActivityRequest.newBuilder()
          .setUserId(users.get(u)).setAction("end").build()).getEvent().getSequence();
      for (Watcher watcher : watchers) {
        if (watcher.userId.equals(users.get(u))) {
          watcher.end = end;
        }
      }
    }

    for (Watcher watcher : watchers) {
      Await.until(() -> "the watcher of " + watcher.userId + " receives up to " + watcher.end + ", has "
          + watcher.lastSequence() + " (" + watcher.failure.get() + ")", () -> watcher.lastSequence() >= watcher.end
          || watcher.failure.get() != null);
    }
    for (Watcher watcher : watchers) {
      assertThat(watcher.failure.get()).as("the watch of " + watcher.userId + " failed").isNull();
      List<ActivityEvent> received = watcher.received();
      // Dense: each number after the start exactly once, in order, up to the last event.
      assertThat(received).extracting(ActivityEvent::getSequence)
          .containsExactlyElementsOf(LongStream.rangeClosed(watcher.start + 1, watcher.end).boxed().toList());
      List<ActivityRecord> stored = table.userActivityAfter(watcher.userId, watcher.start, 100_000);
      assertThat(received).extracting(ActivityEvent::getSequence, ActivityEvent::getAction,
              ActivityEvent::getDetails)
          .containsExactlyElementsOf(stored.stream().map(event -> tuple(
              event.sequence(), event.action(), event.details())).toList());
    }
  }

  private static UserServiceGrpc.UserServiceBlockingStub blocking(Channel channel) {
    return UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** One watch stream and what it received. */
  private static final class Watcher implements StreamObserver<ActivityEvent> {
    final String userId;
    final long start;
    volatile long end = Long.MAX_VALUE;
    final List<ActivityEvent> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Watcher(String userId, long start) {
      this.userId = userId;
      this.start = start;
    }

    long lastSequence() {
      synchronized (events) {
        return events.isEmpty() ? start : events.get(events.size() - 1).getSequence();
      }
    }

    List<ActivityEvent> received() {
      synchronized (events) {
        return List.copyOf(events);
      }
    }

    @Override
    public void onNext(ActivityEvent event) {
      events.add(event);
    }

    @Override
    public void onError(Throwable t) {
      if (lastSequence() < end) {
        failure.compareAndSet(null, t);
      }
    }

    @Override
    public void onCompleted() {
      failure.compareAndSet(null, new IllegalStateException("completed"));
    }
  }
}
