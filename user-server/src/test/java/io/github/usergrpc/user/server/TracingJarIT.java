package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
      Path jar = Path.of(System.getProperty("server.jar", "target/user-server.jar"));
      String storeOption = store.equals("memory") ? "memory" : "sqlite:" + dir.resolve("users.db");
      Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-jar", jar.toString(), "--port", "0", "--store", storeOption,
          "--otlp-endpoint", "http://127.0.0.1:" + collector.getAddress().getPort()))
          .redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      try {
        Matcher start = Pattern.compile("user-server listening on port (\\d+) .*").matcher("");
        String line;
        while ((line = out.readLine()) != null && !start.reset(line).matches()) {
          // Skip log lines.
        }
        assertThat(line).as("start line").isNotNull();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", Integer.parseInt(start.group(1)),
            InsecureChannelCredentials.create()).build();
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
        process.toHandle().destroy();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        process.destroyForcibly();
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
