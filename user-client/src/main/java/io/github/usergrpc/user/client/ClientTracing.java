package io.github.usergrpc.user.client;

import io.grpc.ClientInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import java.util.List;

/**
 * The client's tracing, for {@link UserClient.Builder#setOpenTelemetry}: a CLIENT span per call
 * ({@link CallSpans}: {@code rpc.*} attributes, status), and under it a span per attempt ({@link AttemptSpans})
 * whose {@code traceparent} the server continues. The OpenTelemetry API only: no instrumentation library,
 * whose jar would replace gRPC's context storage in every consumer's JVM, traced or not.
 */
final class ClientTracing {

  /** The instrumentation scope of the call and attempt spans. */
  static final String SCOPE = "io.github.usergrpc.user.client";

  private ClientTracing() {}

  /**
   * Returns the interceptors, in the order {@code ClientInterceptors.intercept} takes them: the call
   * interceptor last, so that it runs first and hands its span to the attempts'.
   */
  static List<ClientInterceptor> interceptors(OpenTelemetry openTelemetry) {
    return List.of(new AttemptSpans(openTelemetry, SCOPE), new CallSpans(openTelemetry, SCOPE));
  }
}
