package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.http.HttpEdge;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.testsupport.LoopbackHttp;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server's tracing on its HTTP port: a request with a W3C {@code traceparent} continues that trace
 * through the HTTP span, the UserService call and the store; the trace id is in the call log line; with
 * tracing off, no span starts (shown beside the same request with tracing on).
 */
class TracingTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01";

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  /**
   * The names of the spans started, in order. A span starts before the work it covers, so by the time a
   * response arrives the spans of its request have started (they may not have ended yet): a test can say
   * that none started without waiting.
   */
  private final List<String> started = new CopyOnWriteArrayList<>();
  /** Closed after the server and the HTTP port, whose last spans it may still receive. */
  private final OpenTelemetrySdk sdk = cleanup.register(OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder()
          .addSpanProcessor(SimpleSpanProcessor.create(spans))
          .addSpanProcessor(new SpanProcessor() {
            @Override
            public void onStart(Context parentContext, ReadWriteSpan span) {
              started.add(span.getName());
            }

            @Override
            public boolean isStartRequired() {
              return true;
            }

            @Override
            public void onEnd(ReadableSpan span) {}

            @Override
            public boolean isEndRequired() {
              return false;
            }
          })
          .build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build());
  private final HttpClient http = LoopbackHttp.newClient();
  private final Logger callLog = Logger.getLogger("io.github.usergrpc.user.server.calls");
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      logged.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level previousLevel;
  private UserServer server;
  private ManagedChannel channel;
  private HttpEdge edge;

  @BeforeEach
  void captureCallLog() {
    previousLevel = callLog.getLevel();
    callLog.setLevel(Level.FINE);
    callLog.addHandler(capture);
  }

  @AfterEach
  void restoreCallLog() {
    callLog.removeHandler(capture);
    callLog.setLevel(previousLevel);
  }

  private void start(boolean tracing) throws Exception {
    String name = InProcessServerBuilder.generateName();
    UserServer.Builder builder = UserServer.newBuilder(InProcessServerBuilder.forName(name))
        .setStore(new InMemoryUserStore()).setInProcessName(name + "-local");
    HttpEdge.Builder edgeBuilder;
    if (tracing) {
      builder.setTracing(new ServerTracing(sdk));
    }
    server = cleanup.register(builder.build().start());
    channel = cleanup.register(InProcessChannelBuilder.forName(name + "-local").build());
    edgeBuilder = HttpEdge.newBuilder(server.userService(), channel);
    if (tracing) {
      edgeBuilder.setTracing(new ServerTracing(sdk));
    }
    edge = cleanup.register(edgeBuilder.build().start());
  }

  @Test
  void httpRequestWithTraceparent_continuesTheTrace_throughTheCallAndTheStore() throws Exception {
    start(true);
    String id = createUser();
    spans.reset();
    logged.clear();

    HttpResponse<String> got = send("/v1/users/" + id, TRACEPARENT);
    assertThat(got.statusCode()).isEqualTo(200);

    Await.until(() -> "the HTTP, call and store spans in " + spans.getFinishedSpanItems(),
        () -> spans.getFinishedSpanItems().size() >= 3);
    List<SpanData> all = spans.getFinishedSpanItems();
    assertThat(all).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(TRACE_ID));
    SpanData httpSpan = only(all, SpanKind.SERVER, "GET ");
    assertThat(httpSpan.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
    assertThat(httpSpan.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200);
    assertThat(httpSpan.getName()).isEqualTo("GET /v1/users/{id}");
    assertThat(httpSpan.getAttributes().get(AttributeKey.stringKey("url.path"))).isEqualTo("/v1/users/" + id);
    SpanData callSpan = only(all, SpanKind.SERVER, "user.UserService/GetUser");
    assertThat(callSpan.getParentSpanId()).as("the transcoded call is a child of the HTTP span")
        .isEqualTo(httpSpan.getSpanId());
    assertThat(callSpan.getAttributes().get(AttributeKey.stringKey("rpc.method"))).isEqualTo("GetUser");
    SpanData storeSpan = only(all, SpanKind.INTERNAL, "UserStore.find");
    assertThat(storeSpan.getParentSpanId()).isEqualTo(callSpan.getSpanId());

    Await.until("the call log line", () -> !logged.isEmpty());
    assertThat(logged.get(0).getMessage()).startsWith("rpc method=user.UserService/GetUser status=OK")
        .contains(" trace_id=" + TRACE_ID + " ");
  }

  @Test
  void watchOverHttp_isAChildOfTheHttpSpan_throughTheInProcessCall() throws Exception {
    start(true);
    String id = createUser();
    spans.reset();

    HttpRequest watch = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port()
            + "/v1/users/" + id + "/activity:watch")).header("traceparent", TRACEPARENT)
        .header("accept", "application/x-ndjson").timeout(Duration.ofSeconds(10)).build();
    HttpResponse<InputStream> stream = http.send(watch, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    // The port closing ends the watch, and with it its spans.
    edge.close();
    stream.body().close();

    Await.until(() -> "the HTTP, client and server spans of the watch in " + spans.getFinishedSpanItems(),
        () -> spans.getFinishedSpanItems().stream().filter(span -> span.getTraceId().equals(TRACE_ID)
            && (span.getName().startsWith("GET ") || span.getName().endsWith("/WatchUserActivity"))).count() >= 3);
    List<SpanData> watchTrace = spans.getFinishedSpanItems().stream()
        .filter(span -> span.getTraceId().equals(TRACE_ID)).toList();
    SpanData httpSpan = only(watchTrace, SpanKind.SERVER, "GET ");
    assertThat(httpSpan.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
    SpanData clientSpan = only(watchTrace, SpanKind.CLIENT, "user.UserService/WatchUserActivity");
    assertThat(clientSpan.getParentSpanId()).isEqualTo(httpSpan.getSpanId());
    SpanData serverSpan = only(watchTrace, SpanKind.SERVER, "user.UserService/WatchUserActivity");
    assertThat(serverSpan.getParentSpanId()).isEqualTo(clientSpan.getSpanId());
  }

  /**
   * The same request with tracing on and off: on, its spans have started by the time the response arrives
   * and the call log has the trace id; off, no span starts and the call log has none. The "on" case shows
   * that the "off" case would see spans if there were any.
   */
  @ParameterizedTest(name = "tracing {0}")
  @ValueSource(booleans = {true, false})
  void tracingOnOrOff_spansStartOnlyWhenOn_andTheCallLogShowsTheTraceIdOnlyThen(boolean tracing) throws Exception {
    start(tracing);
    String id = createUser();
    started.clear();
    logged.clear();

    assertThat(send("/v1/users/" + id, TRACEPARENT).statusCode()).isEqualTo(200);

    if (tracing) {
      assertThat(started).contains("GET /v1/users/{id}", "user.UserService/GetUser", "UserStore.find");
    } else {
      assertThat(started).isEmpty();
    }
    Await.until("the call log line", () -> !logged.isEmpty());
    assertThat(logged.get(0).getMessage()).startsWith("rpc method=user.UserService/GetUser status=OK")
        .contains(tracing ? " trace_id=" + TRACE_ID + " " : " trace_id=- ");
  }

  private String createUser() {
    UserResponse created = UserServiceGrpc.newBlockingStub(channel)
        .createUser(CreateUserRequest.newBuilder().setEmail("trace@example.com").setName("T").build());
    return created.getId();
  }

  private HttpResponse<String> send(String path, String traceparent) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
        .timeout(Duration.ofSeconds(10));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SpanData only(List<SpanData> spans, SpanKind kind, String namePrefix) {
    List<SpanData> matching = spans.stream()
        .filter(span -> span.getKind() == kind && span.getName().startsWith(namePrefix)).toList();
    assertThat(matching).as("%s spans named %s… of %s", kind, namePrefix, spans).hasSize(1);
    return matching.get(0);
  }
}
