package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code --otlp-endpoint}'s exporter sends the server's spans to an OTLP/HTTP collector, here a stand-in. */
class OtlpTracingTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void spans_reachTheCollector_asOtlpProtobuf_withTheServiceName() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
          + exchange.getRequestHeaders().getFirst("Content-Type") + " "
          + new String(body, StandardCharsets.ISO_8859_1));
      // An empty ExportTraceServiceResponse: everything accepted.
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    collector.start();
    cleanup.register((AutoCloseable) () -> collector.stop(0));
    String name = InProcessServerBuilder.generateName();
    OtlpTracing otlp = cleanup.register(OtlpTracing.start(
        URI.create("http://127.0.0.1:" + collector.getAddress().getPort()), "user-server-under-test"));
    cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name))
        .setStore(new InMemoryUserStore()).setTracing(otlp.tracing()).build().start());
    ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).build());

    UserServiceGrpc.newBlockingStub(channel)
        .createUser(CreateUserRequest.newBuilder().setEmail("otlp@example.com").setName("O").build());

    // The server's span ends when the server has finished the call, which can be after the client has its
    // answer: wait for it to be sent (the store's span, its child, ended before it).
    Await.until("the server span reaches the collector", () -> {
      otlp.flush();
      return String.join("", received).contains("user.UserService/CreateUser");
    });
    assertThat(received).isNotEmpty().allSatisfy(request -> assertThat(request)
        .startsWith("POST /v1/traces application/x-protobuf "));
    assertThat(String.join("", received))
        .contains("user-server-under-test", "user.UserService/CreateUser", "UserStore.create");
  }

  @Test
  void tracesUrl_addsTheTracesPath_onlyToAnEndpointWithoutAPath() {
    assertThat(OtlpTracing.tracesUrl(URI.create("http://collector:4318"))).isEqualTo("http://collector:4318/v1/traces");
    assertThat(OtlpTracing.tracesUrl(URI.create("https://collector:4318/"))).isEqualTo("https://collector:4318/v1/traces");
    assertThat(OtlpTracing.tracesUrl(URI.create("http://gateway/otel/v1/traces")))
        .isEqualTo("http://gateway/otel/v1/traces");
  }
}
