package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.observability.ServerTracing;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A traced client call, retried once, through the traced server to its store: one trace, linked as
 * application span -> call span -> attempt spans -> server span of each attempt -> store span; and a client
 * without OpenTelemetry sends no {@code traceparent} and records nothing.
 */
class ClientTracingTest {

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final String GET_USER = "user.UserService/GetUser";

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = cleanup.register(OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build());
  /** The traceparent of every GetUser attempt the server saw, null for none. */
  private final ConcurrentLinkedQueue<String> traceparents = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean failNextGet = new AtomicBoolean();
  private UserClient client;

  private void start(boolean clientTracing) throws Exception {
    String name = InProcessServerBuilder.generateName();
    cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(new InMemoryUserStore())
        .setTracing(new ServerTracing(sdk))
        // A fault: the first attempt of a GetUser fails as a server that is going away would.
        .addInterceptor(new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
              Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            if (call.getMethodDescriptor().getFullMethodName().equals(GET_USER)) {
              traceparents.add(String.valueOf(headers.get(TRACEPARENT)));
              if (failNextGet.compareAndSet(true, false)) {
                call.close(Status.UNAVAILABLE.withDescription("injected"), new Metadata());
                return new ServerCall.Listener<>() {};
              }
            }
            return next.startCall(call, headers);
          }
        })
        .build()
        .start());
    UserClient.Builder builder = UserClient.newBuilder()
        .setChannelBuilder(InProcessChannelBuilder.forName(name).directExecutor())
        .setRetrySettings(RetrySettings.newBuilder().setInitialBackoff(Duration.ofMillis(10)).build());
    if (clientTracing) {
      builder.setOpenTelemetry(sdk);
    }
    client = cleanup.register(builder.build());
  }

  @Test
  @SuppressWarnings("try") // the Scope only makes the caller's span current
  void retriedCall_isOneTrace_fromTheCallerThroughEachAttemptToTheServerAndTheStore() throws Exception {
    start(true);
    UserResponse ada = client.createUser("ada@example.com", "Ada", "").join();
    spans.reset();
    failNextGet.set(true);

    Span caller = sdk.getTracer("test").spanBuilder("caller").startSpan();
    try (Scope ignored = caller.makeCurrent()) {
      assertThat(client.getUser(ada.getId()).join()).isEqualTo(ada);
    } finally {
      caller.end();
    }

    // caller, call, 2 attempts, 2 server spans, 1 store span.
    Await.until(() -> "7 spans in " + spans.getFinishedSpanItems(), () -> spans.getFinishedSpanItems().size() >= 7);
    List<SpanData> all = spans.getFinishedSpanItems();
    assertThat(all).hasSize(7);
    String traceId = caller.getSpanContext().getTraceId();
    assertThat(all).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(traceId));

    SpanData call = only(all, SpanKind.CLIENT, GET_USER);
    assertThat(call.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
    assertThat(call.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("grpc");
    assertThat(call.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(0L);

    List<SpanData> attempts = all.stream().filter(span -> span.getName().equals("Attempt " + GET_USER))
        .sorted(Comparator.comparing(span -> span.getAttributes().get(AttemptSpans.PREVIOUS_ATTEMPTS))).toList();
    assertThat(attempts).hasSize(2).allSatisfy(attempt ->
        assertThat(attempt.getParentSpanId()).isEqualTo(call.getSpanId()));
    assertThat(attempts.get(0).getAttributes().get(AttemptSpans.PREVIOUS_ATTEMPTS)).isEqualTo(0L);
    assertThat(attempts.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(attempts.get(1).getAttributes().get(AttemptSpans.PREVIOUS_ATTEMPTS)).isEqualTo(1L);
    assertThat(attempts.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    List<SpanData> served = all.stream().filter(span -> span.getKind() == SpanKind.SERVER).toList();
    assertThat(served).hasSize(2);
    SpanData refused = served.stream().filter(span -> span.getStatus().getStatusCode() == StatusCode.ERROR)
        .findFirst().orElseThrow();
    SpanData answered = served.stream().filter(span -> span.getStatus().getStatusCode() != StatusCode.ERROR)
        .findFirst().orElseThrow();
    assertThat(refused.getParentSpanId()).as("the failed attempt reached the server as itself")
        .isEqualTo(attempts.get(0).getSpanId());
    assertThat(answered.getParentSpanId()).isEqualTo(attempts.get(1).getSpanId());

    SpanData find = only(all, SpanKind.INTERNAL, "UserStore.find");
    assertThat(find.getParentSpanId()).isEqualTo(answered.getSpanId());
  }

  @Test
  void withoutOpenTelemetry_theClientSendsNoTraceparent_andRecordsNothing() throws Exception {
    start(false);
    UserResponse ada = client.createUser("ada@example.com", "Ada", "").join();
    spans.reset();

    client.getUser(ada.getId()).join();

    assertThat(traceparents).containsExactly("null");
    // The server traces on its own, as the root of a trace of its own.
    Await.until(() -> "the server's spans in " + spans.getFinishedSpanItems(),
        () -> spans.getFinishedSpanItems().size() >= 2);
    assertThat(spans.getFinishedSpanItems()).allSatisfy(span ->
        assertThat(span.getKind()).isIn(SpanKind.SERVER, SpanKind.INTERNAL));
    assertThat(only(spans.getFinishedSpanItems(), SpanKind.SERVER, GET_USER).getParentSpanContext().isValid())
        .isFalse();
  }

  private static SpanData only(List<SpanData> spans, SpanKind kind, String name) {
    List<SpanData> matching = spans.stream()
        .filter(span -> span.getKind() == kind && span.getName().equals(name)).toList();
    assertThat(matching).as("%s spans named %s of %s", kind, name, spans).hasSize(1);
    return matching.get(0);
  }
}
