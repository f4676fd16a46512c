package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.server.observability.ServerTracing;
import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every store span is a child of the SERVER span of the call that made it, with the server as user-server
 * builds it ({@link UserServerMain#newServer}): on the gRPC port and the HTTP port, with the memory store
 * (called on the transport's thread) and a JDBC store (called on the pool of {@link CallThreads}). Part of
 * the {@code tracing-without-context-bridge} run (see pom.xml), where nothing but the server's own code
 * carries the span to the store.
 */
class StoreSpansTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();

  @ParameterizedTest(name = "{0} store, {1} port")
  @CsvSource({"memory, grpc", "memory, http", "h2, grpc", "h2, http"})
  void storeSpans_areChildrenOfTheirCallsServerSpan(String storeKind, String port) throws Exception {
    UserStore store = cleanup.register(storeKind.equals("memory") ? new InMemoryUserStore()
        : JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl("jdbc:h2:mem:store-spans-" + UUID.randomUUID())
            .build()));
    ExecutorService pool = cleanup.register(Executors.newFixedThreadPool(4));
    OpenTelemetrySdk sdk = cleanup.register(OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build());
    ServerTracing tracing = new ServerTracing(sdk);
    String inProcessName = "store-spans-" + UUID.randomUUID();
    UserServer server = cleanup.register(UserServerMain.newServer(ServerOptions.parse(List.of("--port", "0",
        "--store", storeKind.equals("memory") ? "memory" : "h2:./unused"), Map.of()), 0, store, pool, null,
        inProcessName, tracing));
    server.start();
    ManagedChannel channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        InsecureChannelCredentials.create()).build());
    UserResponse ada = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
        .createUser(CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada").build());

    if (port.equals("grpc")) {
      UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
          .getUser(GetUserRequest.newBuilder().setId(ada.getId()).build());
    } else {
      // As user-server runs its HTTP port: the service on Armeria's event loops, traced with the same tracing.
      ManagedChannel local = cleanup.register(InProcessChannelBuilder.forName(inProcessName).directExecutor().build());
      HttpEdge http = cleanup.register(HttpEdge.newBuilder(server.userService(), local).setCallsOnEventLoop(true)
          .setTracing(tracing).build().start());
      HttpResponse<String> got = LoopbackHttp.newClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + http.port() + "/v1/users/" + ada.getId())).timeout(TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(got.statusCode()).isEqualTo(200);
    }

    // A SERVER span ends when the server has finished its call, which can be after the client has its answer.
    Await.until(() -> "the CreateUser and GetUser spans in " + spans.getFinishedSpanItems(),
        () -> spans.getFinishedSpanItems().stream().filter(span -> span.getKind() == SpanKind.SERVER
            && span.getName().startsWith("user.UserService/")).count() >= 2);
    List<SpanData> all = spans.getFinishedSpanItems();
    List<SpanData> storeSpans = all.stream().filter(span -> span.getName().startsWith("UserStore.")).toList();
    assertThat(storeSpans).extracting(SpanData::getName).as("the store spans of %s", all)
        .contains("UserStore.create", "UserStore.find");
    for (SpanData storeSpan : storeSpans) {
      SpanData parent = all.stream().filter(span -> span.getSpanId().equals(storeSpan.getParentSpanId()))
          .findFirst().orElse(null);
      assertThat(parent).as("the parent of %s in %s", storeSpan, all).isNotNull();
      assertThat(parent.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(parent.getName()).startsWith("user.UserService/");
      assertThat(parent.getTraceId()).isEqualTo(storeSpan.getTraceId());
    }
  }
}
