package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The call span's own details, beyond the trace shape {@link ClientTracingTest} checks: the attributes and
 * status OpenTelemetry's gRPC instrumentation gives a client span. (Callbacks in the caller's context:
 * {@link ChainedCallsTest}, where gRPC's context storage does not do it for the client.)
 */
class CallSpansTest {

  private static final String GET_USER = "user.UserService/GetUser";

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = cleanup.register(OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build());

  @Test
  void callOverTcp_hasTheRpcServerAndPeerAttributes_andAnErrorStatusWhenNotOk() throws Exception {
    UserServer server = cleanup.register(UserServer.newBuilder(
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
        .setStore(new InMemoryUserStore()).build().start());
    int port = server.port();
    try (UserClient client = UserClient.newBuilder().setTarget("127.0.0.1:" + port).usePlaintext()
        .setOpenTelemetry(sdk).build()) {
      UserResponse ada = client.createUser("ada@example.com", "Ada", "").join();
      spans.reset();
      client.getUser(ada.getId()).join();
      assertThat(Futures.failureOf(client.getUser("nobody"))).isInstanceOf(UserNotFoundException.class);
    }

    Await.until(() -> "2 call spans in " + spans.getFinishedSpanItems(), () -> calls().size() >= 2);
    List<SpanData> calls = calls();
    assertThat(calls).hasSize(2).allSatisfy(call -> {
      assertThat(call.getInstrumentationScopeInfo().getName()).isEqualTo(ClientTracing.SCOPE);
      assertThat(call.getAttributes().get(CallSpans.RPC_SYSTEM)).isEqualTo("grpc");
      assertThat(call.getAttributes().get(CallSpans.RPC_SERVICE)).isEqualTo("user.UserService");
      assertThat(call.getAttributes().get(CallSpans.RPC_METHOD)).isEqualTo("GetUser");
      assertThat(call.getAttributes().get(CallSpans.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
      assertThat(call.getAttributes().get(CallSpans.SERVER_PORT)).isEqualTo((long) port);
      assertThat(call.getAttributes().get(CallSpans.NETWORK_PEER_ADDRESS)).isEqualTo("127.0.0.1");
      assertThat(call.getAttributes().get(CallSpans.NETWORK_PEER_PORT)).isEqualTo((long) port);
    });
    SpanData found = calls.stream().filter(call -> call.getAttributes().get(CallSpans.RPC_GRPC_STATUS_CODE) == 0)
        .findFirst().orElseThrow();
    assertThat(found.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    SpanData notFound = calls.stream().filter(call -> call != found).findFirst().orElseThrow();
    assertThat(notFound.getAttributes().get(CallSpans.RPC_GRPC_STATUS_CODE)).isEqualTo(5L);
    assertThat(notFound.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  private List<SpanData> calls() {
    return spans.getFinishedSpanItems().stream()
        .filter(span -> span.getKind() == SpanKind.CLIENT && span.getName().equals(GET_USER)).toList();
  }
}
