package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code java -jar user-server.jar --otlp-endpoint ...}, whose class path has no OpenTelemetry gRPC context
 * bridge: each store span reaches the collector (here a stand-in) as a child of its call's SERVER span, with
 * the memory store (called on the transport's thread) and SQLite (on the call pool).
 */
class TracingJarIT {

  /** A span as OTLP sends it (opentelemetry/proto/trace/v1/trace.proto), the fields read here only. */
  private record Span(String traceId, String spanId, String parentSpanId, String name) {}

  @TempDir
  Path dir;

  @ParameterizedTest(name = "--store {0}")
  @ValueSource(strings = {"memory", "sqlite"})
  void storeSpans_reachTheCollector_asChildrenOfTheirCallsServerSpan(String store) throws Exception {
    List<byte[]> received = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/v1/traces", exchange -> {
      received.add(exchange.getRequestBody().readAllBytes());
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    collector.start();
    try {
      String storeOption = store.equals("memory") ? "memory" : "sqlite:" + dir.resolve("users.db");
      try (ServerJar server = ServerJar.start("--store", storeOption,
          "--otlp-endpoint", "http://127.0.0.1:" + collector.getAddress().getPort())) {
        ManagedChannel channel = server.channel();
        try {
          UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS);
          UserResponse ada = users.createUser(CreateUserRequest.newBuilder().setEmail("ada@example.com")
              .setName("Ada").build());
          users.getUser(GetUserRequest.newBuilder().setId(ada.getId()).build());
        } finally {
          channel.shutdownNow();
        }
        // SIGTERM: the server finishes its calls, ends their spans and sends what it has before it exits.
        server.stop();
      }
    } finally {
      collector.stop(0);
    }

    List<Span> spans = new ArrayList<>();
    for (byte[] request : received) {
      spans.addAll(spans(request));
    }
    List<Span> storeSpans = spans.stream().filter(span -> span.name().startsWith("UserStore.")).toList();
    assertThat(storeSpans).extracting(Span::name).as("the store spans of %s", spans)
        .contains("UserStore.create", "UserStore.find");
    for (Span storeSpan : storeSpans) {
      assertThat(spans).as("the parent of %s in %s", storeSpan, spans).anySatisfy(parent -> {
        assertThat(parent.spanId()).isEqualTo(storeSpan.parentSpanId());
        assertThat(parent.traceId()).isEqualTo(storeSpan.traceId());
        assertThat(parent.name()).startsWith("user.UserService/");
      });
    }
  }

  /** Returns the spans of an ExportTraceServiceRequest: resource_spans = 1, scope_spans = 2, spans = 2. */
  private static List<Span> spans(byte[] request) throws Exception {
    List<Span> spans = new ArrayList<>();
    for (ByteString resourceSpans : UnknownFieldSet.parseFrom(request).getField(1).getLengthDelimitedList()) {
      for (ByteString scopeSpans : UnknownFieldSet.parseFrom(resourceSpans).getField(2).getLengthDelimitedList()) {
        for (ByteString span : UnknownFieldSet.parseFrom(scopeSpans).getField(2).getLengthDelimitedList()) {
          UnknownFieldSet fields = UnknownFieldSet.parseFrom(span);
          spans.add(new Span(hex(only(fields, 1)), hex(only(fields, 2)), hex(only(fields, 4)),
              only(fields, 5).toStringUtf8()));
        }
      }
    }
    return spans;
  }

  private static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  private static ByteString only(UnknownFieldSet fields, int number) {
    List<ByteString> values = fields.getField(number).getLengthDelimitedList();
    return values.isEmpty() ? ByteString.EMPTY : values.get(0);
  }
}
