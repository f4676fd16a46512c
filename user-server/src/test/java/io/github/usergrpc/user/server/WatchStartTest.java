package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamUserStore;
import io.github.usergrpc.user.server.activity.jetstream.LocalNats;
import io.github.usergrpc.user.server.activity.jetstream.RelayLease;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.ForwardingUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once a live watch has announced where it starts ({@code activity-resume-after}), every event committed
 * after that point reaches it: the promise a client relies on when it writes right after opening a watch
 * and expects to see its write. Checked many times in a row while other writers keep the activity log (and
 * the feed's tailer) busy, on every kind of store. Reading the store's position is made slow, as on a
 * loaded database, so that a server which announced its start before fixing it would be caught (checked by
 * sending the header first in {@code Watch.begin}: the first round fails).
 */
class WatchStartTest {

  private static final int ROUNDS = 60;
  private static final long SLOW_READ_MILLIS = 10;

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();
  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @RegisterExtension
  final LocalNats nats = new LocalNats();

  @TempDir
  Path directory;

  @Test
  void eventCommittedAfterTheStartHeader_isDelivered_memoryStore() throws Exception {
    check(new InMemoryUserStore());
  }

  @Test
  void eventCommittedAfterTheStartHeader_isDelivered_h2() throws Exception {
    check(JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:file:" + directory.resolve("users"))
        .build()));
  }

  @Test
  void eventCommittedAfterTheStartHeader_isDelivered_sqlite() throws Exception {
    check(JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl("jdbc:sqlite:" + directory.resolve("users.db"))
        .build()));
  }

  @Test
  void eventCommittedAfterTheStartHeader_isDelivered_postgres() throws Exception {
    check(JdbcUserStore.open(postgres.settings()));
  }

  /** Activity on JetStream (the machine's NATS, a stream of the test's own), users in SQLite. */
  @Test
  void eventCommittedAfterTheStartHeader_isDelivered_jetStream() throws Exception {
    JetStreamActivitySettings stream = nats.freshSettings();
    JdbcUserStore users = JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl("jdbc:sqlite:" + directory.resolve("jetstream.db")).setActivityOutbox(true).build());
    check(JetStreamUserStore.open(users, users.outbox(), RelayLease.singleProcess(), stream));
  }

  private void check(UserStore fast) throws Exception {
    cleanup.register(fast);
    UserStore store = new ForwardingUserStore(fast) {
      @Override
      public long lastSequence(String userId) {
        try {
          Thread.sleep(SLOW_READ_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return super.lastSequence(userId);
      }
    };
    ExecutorService writers = Executors.newFixedThreadPool(2);
    AtomicBoolean writing = new AtomicBoolean(true);
    // Calls run on the server's own threads, not the caller's: the watch must start while the test writes.
    String name = InProcessServerBuilder.generateName();
    cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name)).setStore(store).build().start());
    ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).build());
    try {
      UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);
      String watched = users.createUser(CreateUserRequest.newBuilder().setEmail("watched@example.com")
          .setName("Watched").build()).getId();
      for (int w = 0; w < 2; w++) {
        String other = users.createUser(CreateUserRequest.newBuilder().setEmail("busy" + w + "@example.com")
            .setName("Busy").build()).getId();
        writers.submit(() -> {
          while (writing.get()) {
            users.recordActivity(RecordActivityRequest.newBuilder().setUserId(other)
                .setAction("noise").build());
          }
          return null;
        });
      }
      for (int round = 0; round < ROUNDS; round++) {
        LiveWatch watch = LiveWatch.open(channel, watched);
        long startsAfter = watch.start.get(30, TimeUnit.SECONDS);
        ActivityEvent written = users.recordActivity(RecordActivityRequest.newBuilder().setUserId(watched)
            .setAction("round").setDetails(Integer.toString(round)).build()).getEvent();
        assertThat(written.getSequence()).isGreaterThan(startsAfter);
        int thisRound = round;
        Await.until(() -> "round " + thisRound + ": event " + written.getSequence() + " after start "
            + startsAfter + ", the watch got " + watch.events + " and ended " + watch.closed,
            () -> watch.events.contains(written) || watch.closed.isDone());
        assertThat(watch.events).as("round %s, start %s", round, startsAfter).containsExactly(written);
        watch.call.cancel("round over", null);
      }
    } finally {
      writing.set(false);
      writers.shutdown();
      assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** A raw watch call that reports its start header, its events and how it ended. */
  private static final class LiveWatch extends ClientCall.Listener<ActivityEvent> {
    final CompletableFuture<Long> start = new CompletableFuture<>();
    final List<ActivityEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<WatchRequest, ActivityEvent> call;

    static LiveWatch open(Channel channel, String userId) {
      LiveWatch watch = new LiveWatch();
      watch.call = channel.newCall(UserServiceGrpc.getWatchUserActivityMethod(), CallOptions.DEFAULT);
      watch.call.start(watch, new Metadata());
      watch.call.request(Integer.MAX_VALUE);
      watch.call.sendMessage(WatchRequest.newBuilder().setUserId(userId).build());
      watch.call.halfClose();
      return watch;
    }

    @Override
    public void onHeaders(Metadata headers) {
      String value = headers.get(Headers.ACTIVITY_RESUME_AFTER_KEY);
      if (value != null) {
        start.complete(Long.parseLong(value));
      }
    }

    @Override
    public void onMessage(ActivityEvent event) {
      events.add(event);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      start.completeExceptionally(status.asRuntimeException());
      closed.complete(status);
    }
  }
}
