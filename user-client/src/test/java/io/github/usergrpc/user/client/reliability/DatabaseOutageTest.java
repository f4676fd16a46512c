package io.github.usergrpc.user.client.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.client.RetrySettings;
import io.github.usergrpc.user.client.UnavailableException;
import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.client.UserServiceException;
import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.store.PostgresTestDatabase;
import io.github.usergrpc.user.server.store.TcpProxy;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PostgreSQL goes away under load and comes back: calls fail with UNAVAILABLE (never INTERNAL), health
 * turns NOT_SERVING and back to SERVING by itself, and idempotent calls made with the client's default
 * retries complete once the database is back within their deadline. The database "stops" for this server
 * only, through a proxy, so that other tests sharing it keep running.
 */
class DatabaseOutageTest {

  @RegisterExtension
  final PostgresTestDatabase postgres = new PostgresTestDatabase();

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  /** Marks the calls of the client whose create waits out the outage, so that the server can count them. */
  private static final Metadata.Key<String> PATIENT = Metadata.Key.of("x-patient", Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void postgresStopsUnderLoad_callsAreUnavailable_andServerRecoversWithoutRestart() throws Exception {
    URI database = URI.create(postgres.jdbcUrl().substring("jdbc:".length()));
    TcpProxy proxy = cleanup.register(TcpProxy.start(database.getHost(), database.getPort()));
    String viaProxy = postgres.jdbcUrl().replace(database.getHost() + ":" + database.getPort(),
        "127.0.0.1:" + proxy.port());
    JdbcUserStore store = cleanup.register(JdbcUserStore.open(postgres.settings().toBuilder().setJdbcUrl(viaProxy)
        .setConnectionTimeout(Duration.ofSeconds(1)).build()));
    AtomicInteger patientAttempts = new AtomicInteger();
    UserServer server = cleanup.register(UserServer.newBuilder(
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
        .setStore(store).setHealthCheckInterval(Duration.ofMillis(100))
        .addInterceptor(counting(PATIENT, patientAttempts)).build().start());
    String target = "127.0.0.1:" + server.port();
    // Registered before the clients, so shut down after them: the load's next call then fails and its
    // threads end, also when the test fails before it stops the load.
    ExecutorService load = cleanup.register(Executors.newFixedThreadPool(4));
    ManagedChannel healthChannel = cleanup.register(
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(healthChannel);
    UserClient client = cleanup.register(UserClient.newBuilder().setTarget(target).usePlaintext()
        .setTimeout(Duration.ofSeconds(15)).build());
    UserClient noRetries = cleanup.register(UserClient.newBuilder().setTarget(target).usePlaintext()
        .setRetrySettings(RetrySettings.disabled()).setTimeout(Duration.ofSeconds(10)).build());
    Metadata marked = new Metadata();
    marked.put(PATIENT, "yes");
    UserClient patient = cleanup.register(UserClient.newBuilder().setTarget(target).usePlaintext()
        .setHeaders(() -> marked).setTimeout(Duration.ofSeconds(15)).build());
    AtomicBoolean running = new AtomicBoolean(true);
    Map<Status.Code, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    UserResponse known = client.createUser("known@example.com", "Known", "").join();
    AtomicInteger n = new AtomicInteger();
    for (int i = 0; i < 4; i++) {
      load.submit(() -> {
        while (running.get()) {
          Status.Code code = outcome(() -> noRetries.getUser(known.getId()));
          outcomes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
          code = outcome(() -> noRetries.createUser("load" + n.incrementAndGet() + "@example.com", "L", ""));
          outcomes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
        }
        return null;
      });
    }
    Await.until(() -> "successful calls of the load before the outage: " + outcomes,
        () -> outcomes.containsKey(Status.Code.OK) && outcomes.get(Status.Code.OK).get() >= 10);

    proxy.down();

    awaitHealth(health, ServingStatus.NOT_SERVING);
    Throwable failure = Futures.failureOf(noRetries.getUser(known.getId()));
    assertThat(failure).isInstanceOfSatisfying(UnavailableException.class,
        e -> assertThat(e.reason()).contains("STORE_UNAVAILABLE"));
    // An idempotent call made during the outage, with the default retries: it must complete once the
    // database is back, well within its 15 s deadline. The database comes back once a retry has come, so
    // once its first attempt failed.
    CompletableFuture<UserResponse> duringOutage = patient.createUser("patient@example.com", "Patient", "");
    Await.until(() -> "a retry of the create made during the outage (attempts: " + patientAttempts + ")",
        () -> patientAttempts.get() >= 2);
    assertThat(duringOutage).isNotDone();

    proxy.up();

    assertThat(duringOutage.get(15, TimeUnit.SECONDS).getEmail()).isEqualTo("patient@example.com");
    awaitHealth(health, ServingStatus.SERVING);
    assertThat(client.getUser(known.getId()).join()).isEqualTo(known);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(outcomes.keySet()).as("outcomes of the load: %s", outcomes)
        .contains(Status.Code.OK, Status.Code.UNAVAILABLE)
        .doesNotContain(Status.Code.INTERNAL, Status.Code.UNKNOWN);
  }

  private static Status.Code outcome(Supplier<CompletableFuture<?>> call) {
    try {
      call.get().join();
      return Status.Code.OK;
    } catch (CompletionException e) {
      return e.getCause() instanceof UserServiceException failure ? failure.code() : Status.Code.UNKNOWN;
    }
  }

  private static void awaitHealth(HealthGrpc.HealthBlockingStub health, ServingStatus expected) {
    Await.until("health " + expected, () -> health.withDeadlineAfter(2, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("user.UserService").build()).getStatus() == expected);
  }

  /** Counts the calls whose headers have {@code key}, attempts of a retried call each. */
  private static ServerInterceptor counting(Metadata.Key<String> key, AtomicInteger calls) {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        if (headers.containsKey(key)) {
          calls.incrementAndGet();
        }
        return next.startCall(call, headers);
      }
    };
  }
}
