package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.server.store.PrivatePostgres;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PostgreSQL really goes down for 10 seconds (its own server, stopped with {@code pg_ctl stop -m fast})
 * under 50 calls/s over real TCP, with the store's default settings: every call made while it is down fails
 * with UNAVAILABLE (STORE_UNAVAILABLE) within 500 ms at the 99th percentile, none ends DEADLINE_EXCEEDED or
 * CANCELLED; health says NOT_SERVING within 2 s of the outage and SERVING within 2 s of the database's
 * return; the server serves again without a restart, and every create it acknowledged is there.
 */
class DatabaseOutageFailFastTest {

  private static final int CALLS_PER_SECOND = 50;
  private static final Duration BEFORE = Duration.ofSeconds(3);
  private static final Duration OUTAGE = Duration.ofSeconds(10);
  private static final Duration AFTER = Duration.ofSeconds(5);
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);
  private static final Metadata.Key<String> RETRY_PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  /** One call of the load: when it started and ended (nanoTime), how, and the user a create made. */
  private record Outcome(long startNanos, long endNanos, String method, Status.Code code, String reason,
      String retryPushback, UserResponse created) {
    long millis() {
      return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
    }
  }

  /** One health check: when it was answered, and the status (null when the check itself failed). */
  private record HealthSample(long nanos, ServingStatus status) {}

  @Test
  @Timeout(180)
  void postgresDownFor10s_callsFailFast_healthFollows_nothingAcknowledgedIsLost() throws Exception {
    PrivatePostgres postgres = cleanup.register(PrivatePostgres.startOrSkip());
    JdbcUserStore store = cleanup.register(JdbcUserStore.open(JdbcSettings.newBuilder()
        .setJdbcUrl(postgres.jdbcUrl()).setUser("postgres").build()));
    ExecutorService executor = cleanup.register(Executors.newFixedThreadPool(16));
    UserServer server = cleanup.register(UserServerMain.newServer(
        ServerOptions.parse(List.of("--port", "0", "--store", "memory"), Map.of()), store, executor).start());
    ManagedChannel channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
    ScheduledExecutorService timers = cleanup.register(Executors.newScheduledThreadPool(2));
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<HealthSample> health = new ConcurrentLinkedQueue<>();
    AtomicInteger inFlight = new AtomicInteger();
    UserServiceGrpc.UserServiceFutureStub users = UserServiceGrpc.newFutureStub(channel);
    String known = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .createUser(CreateUserRequest.newBuilder().setEmail("known@example.com").setName("Known").build())
        .getId();
    AtomicInteger n = new AtomicInteger();
    timers.scheduleAtFixedRate(() -> {
      int i = n.incrementAndGet();
      long start = System.nanoTime();
      UserServiceGrpc.UserServiceFutureStub stub =
          users.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      ListenableFuture<UserResponse> call = i % 2 == 0
          ? stub.getUser(GetUserRequest.newBuilder().setId(known).build())
          : stub.createUser(CreateUserRequest.newBuilder().setEmail("load" + i + "@example.com").setName("L")
              .setRequestId(UUID.randomUUID().toString()).build());
      String method = i % 2 == 0 ? "GetUser" : "CreateUser";
      inFlight.incrementAndGet();
      Futures.addCallback(call, new FutureCallback<>() {
        @Override
        public void onSuccess(UserResponse user) {
          outcomes.add(new Outcome(start, System.nanoTime(), method, Status.Code.OK, "", null,
              method.equals("CreateUser") ? user : null));
          inFlight.decrementAndGet();
        }

        @Override
        public void onFailure(Throwable t) {
          Status status = Status.fromThrowable(t);
          Metadata trailers = t instanceof StatusRuntimeException e && e.getTrailers() != null
              ? e.getTrailers() : new Metadata();
          outcomes.add(new Outcome(start, System.nanoTime(), method, status.getCode(),
              new Closed(status, trailers).reason(), trailers.get(RETRY_PUSHBACK), null));
          inFlight.decrementAndGet();
        }
      }, MoreExecutors.directExecutor());
    }, 0, 1_000_000 / CALLS_PER_SECOND, TimeUnit.MICROSECONDS);
    HealthGrpc.HealthBlockingStub healthStub = HealthGrpc.newBlockingStub(channel);
    timers.scheduleWithFixedDelay(() -> {
      ServingStatus status;
      try {
        status = healthStub.withDeadlineAfter(1, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
      } catch (StatusRuntimeException e) {
        status = null;
      }
      health.add(new HealthSample(System.nanoTime(), status));
    }, 0, 50, TimeUnit.MILLISECONDS);

    awaitFor(BEFORE);
    long stopAsked = System.nanoTime();
    postgres.stop();
    long down = System.nanoTime();
    awaitFor(OUTAGE.minusNanos(down - stopAsked));
    long startAsked = System.nanoTime();
    postgres.start();
    long up = System.nanoTime();
    awaitFor(AFTER);
    timers.shutdown();
    assertThat(timers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    long deadline = System.nanoTime() + CALL_DEADLINE.toNanos() + TimeUnit.SECONDS.toNanos(5);
    while (inFlight.get() > 0) {
      assertThat(System.nanoTime()).as("every call ends").isLessThan(deadline);
      Thread.sleep(10);
    }

    // Calls made while the database was down: all UNAVAILABLE (STORE_UNAVAILABLE), fast.
    List<Outcome> duringOutage = outcomes.stream()
        .filter(o -> o.startNanos() >= down && o.startNanos() < startAsked).toList();
    assertThat(duringOutage).hasSizeGreaterThan(CALLS_PER_SECOND * (int) OUTAGE.toSeconds() * 8 / 10);
    assertThat(duringOutage).allSatisfy(o -> {
      assertThat(o.code()).as(o.toString()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(o.reason()).as(o.toString()).isEqualTo("STORE_UNAVAILABLE");
      // Clients retrying by their retry policy wait a second, not their own 100-400 ms backoff.
      assertThat(o.retryPushback()).as(o.toString()).isEqualTo("1000");
    });
    long p50 = percentile(duringOutage, 50);
    long p99 = percentile(duringOutage, 99);
    long max = percentile(duringOutage, 100);
    // Around the stop itself, calls may succeed or fail, but none waits out its deadline or is cancelled.
    Map<Status.Code, Integer> codes = new TreeMap<>();
    outcomes.forEach(o -> codes.merge(o.code(), 1, Integer::sum));
    assertThat(codes).doesNotContainKeys(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED,
        Status.Code.INTERNAL, Status.Code.UNKNOWN);

    // Health: NOT_SERVING soon after the database went away, SERVING soon after it came back.
    long notServingMillis = firstAfter(health, stopAsked, s -> s.status() == ServingStatus.NOT_SERVING);
    long servingMillis = firstAfter(health, up, s -> s.status() == ServingStatus.SERVING);
    long unansweredChecks = health.stream().filter(s -> s.status() == null).count();

    // Recovered without a restart: calls made 2 s after the database's return all succeed.
    List<Outcome> afterReturn = outcomes.stream()
        .filter(o -> o.startNanos() >= up + TimeUnit.SECONDS.toNanos(2)).toList();
    long firstOkAfterReturn = outcomes.stream().filter(o -> o.startNanos() >= up && o.code() == Status.Code.OK)
        .mapToLong(o -> TimeUnit.NANOSECONDS.toMillis(o.endNanos() - up)).min().orElse(-1);

    // Every acknowledged create is there.
    List<UserResponse> acknowledged = outcomes.stream().map(Outcome::created).filter(u -> u != null).toList();
    UserServiceGrpc.UserServiceBlockingStub check = UserServiceGrpc.newBlockingStub(channel);
    for (UserResponse user : acknowledged) {
      assertThat(check.withDeadlineAfter(5, TimeUnit.SECONDS)
          .getUser(GetUserRequest.newBuilder().setId(user.getId()).build())).isEqualTo(user);
    }

    System.out.printf("outage figures: %d calls at %d/s; %d while down (%.1f s): p50 %d ms, p99 %d ms, max %d ms;"
            + " outcomes %s; pg_ctl stop took %d ms, start %d ms; health NOT_SERVING %d ms after the stop"
            + " began, SERVING %d ms after the database was back (%d of %d checks unanswered in 1 s);"
            + " first OK call %d ms after the return; %d acknowledged creates all present%n",
        outcomes.size(), CALLS_PER_SECOND, duringOutage.size(), (startAsked - down) / 1e9, p50, p99, max,
        codes, TimeUnit.NANOSECONDS.toMillis(down - stopAsked), TimeUnit.NANOSECONDS.toMillis(up - startAsked),
        notServingMillis, servingMillis, unansweredChecks, health.size(), firstOkAfterReturn,
        acknowledged.size());
    assertThat(p99).as("p99 of the calls made while the database was down, ms").isLessThanOrEqualTo(500);
    assertThat(notServingMillis).as("NOT_SERVING after the stop began, ms").isBetween(0L, 2_000L);
    assertThat(servingMillis).as("SERVING after the database was back, ms").isBetween(0L, 2_000L);
    assertThat(afterReturn).isNotEmpty().allSatisfy(o -> assertThat(o.code()).as(o.toString())
        .isEqualTo(Status.Code.OK));
  }

  /** Returns the {@code p}th percentile of the calls' durations, in ms. */
  private static long percentile(List<Outcome> outcomes, int p) {
    List<Long> millis = new ArrayList<>(outcomes.stream().map(Outcome::millis).sorted().toList());
    int index = (int) Math.ceil(p / 100.0 * millis.size()) - 1;
    return millis.get(Math.max(0, Math.min(index, millis.size() - 1)));
  }

  /** Returns the ms from {@code fromNanos} to the first sample after it that matches, or -1. */
  private static long firstAfter(ConcurrentLinkedQueue<HealthSample> samples, long fromNanos,
      Predicate<HealthSample> match) {
    return samples.stream().filter(s -> s.nanos() >= fromNanos && match.test(s))
        .mapToLong(s -> TimeUnit.NANOSECONDS.toMillis(s.nanos() - fromNanos)).min().orElse(-1);
  }

  /** Lets the load run for {@code duration}: the scenario is timed, there is no condition to wait for. */
  private static void awaitFor(Duration duration) throws InterruptedException {
    long until = System.nanoTime() + duration.toNanos();
    for (long left; (left = until - System.nanoTime()) > 0; ) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }
}
