package io.github.usergrpc.user.client;

import io.grpc.ClientInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import java.util.List;

/**
 * The client's tracing, for {@link UserClient.Builder#setOpenTelemetry}: a CLIENT span per call from the
 * OpenTelemetry gRPC instrumentation ({@code rpc.*} attributes, status), and under it a span per attempt
 * ({@link AttemptSpans}) whose {@code traceparent} the server continues.
 */
final class ClientTracing {

  /** The instrumentation scope of the attempt spans. */
  static final String SCOPE = "io.github.usergrpc.user.client";

  private ClientTracing() {}

  /**
   * Returns the interceptors, in the order {@code ClientInterceptors.intercept} takes them: the call
   * interceptor last, so that it runs first and its span is current for the attempts'.
   */
  static List<ClientInterceptor> interceptors(OpenTelemetry openTelemetry) {
    // No event per message: a watch would carry one per activity event for its whole life.
    GrpcTelemetry calls = GrpcTelemetry.builder(openTelemetry).setEmitMessageEvents(false).build();
    return List.of(new AttemptSpans(openTelemetry, SCOPE), calls.createClientInterceptor());
  }
}
