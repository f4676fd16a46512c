package io.github.usergrpc.user.server.observability;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.UserStore;
import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import javax.annotation.Nullable;

/**
 * The server's tracing, on OpenTelemetry: a SERVER span for every UserService call (on the gRPC port, in
 * process and on the HTTP port, from the OpenTelemetry gRPC instrumentation, continuing a W3C
 * {@code traceparent} the caller sent), an INTERNAL span for each store operation such a call makes, and the
 * trace id in the call log line. Off unless {@code UserServer.Builder.setTracing} is given one; then every
 * call is traced at the {@link OpenTelemetry}'s own sampling.
 *
 * <p>The instrumentation makes its SERVER span current only while it intercepts a call, not in the listener
 * callbacks where the handler, the call pool's hand-off and the store run; {@link CurrentContextInterceptor},
 * right inside it, makes the span current there too, so that store spans are its children. The
 * instrumentation's jar also holds {@code io.grpc.override.ContextStorageOverride}, a bridge that gRPC picks up
 * by class name in any JVM that has it, tracing on or off, and that keeps OpenTelemetry's context inside gRPC's
 * {@code Context}: user-server.jar leaves it out (it allocated about 2 KB per call), and the surefire execution
 * {@code tracing-without-context-bridge} runs the tracing tests without it. The client library does not use
 * the instrumentation at all.
 */
public final class ServerTracing {

  /** The instrumentation scope of the server's own spans (the store's, the HTTP port's). */
  public static final String SCOPE = "io.github.usergrpc.user.server";

  private final OpenTelemetry openTelemetry;
  private final GrpcTelemetry grpc;

  /**
   * Creates the tracing.
   *
   * @param openTelemetry where spans go and how context is propagated (its propagators should include W3C
   *     trace context); the caller owns it
   */
  public ServerTracing(OpenTelemetry openTelemetry) {
    this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
    // No event per message: a watch stream would carry one per activity event for its whole life.
    this.grpc = GrpcTelemetry.builder(openTelemetry).setEmitMessageEvents(false).build();
  }

  /** Returns the OpenTelemetry this tracing records into. */
  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /**
   * Returns {@code service} with a SERVER span per call, child of the caller's {@code traceparent} if it sent
   * one, current while the call's interceptors and handler run. Apply it outermost, so that refused calls are
   * traced too.
   *
   * @param service the service with its interceptors
   * @return the traced service
   */
  public ServerServiceDefinition intercept(ServerServiceDefinition service) {
    // The last one runs first: the instrumentation starts the span, then the call's callbacks run in it.
    return ServerInterceptors.intercept(service, new CurrentContextInterceptor(), grpc.createServerInterceptor());
  }

  /**
   * Returns an interceptor that starts a CLIENT span per call and sends its {@code traceparent}: for the
   * calls the server makes to itself, such as the HTTP port's watch over the in-process channel.
   */
  public ClientInterceptor clientInterceptor() {
    return grpc.createClientInterceptor();
  }

  /**
   * Returns {@code store} with a span per operation made within a traced call; operations outside one
   * (polling for activity, health checks) are not traced, so that they do not start a trace every 100 ms.
   *
   * @param store the store
   * @return the traced store
   */
  public UserStore instrument(UserStore store) {
    return new TracingUserStore(store, openTelemetry.getTracer(SCOPE));
  }

  /**
   * Returns the trace id of the span current on this thread, or null outside a sampled or propagated trace
   * (always null with tracing off, as no span is ever current then).
   */
  @Nullable
  public static String currentTraceId() {
    SpanContext span = Span.current().getSpanContext();
    return span.isValid() ? span.getTraceId() : null;
  }
}
