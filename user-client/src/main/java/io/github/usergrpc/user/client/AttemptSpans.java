package io.github.usergrpc.user.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * A span per attempt of a call, {@code Attempt <method>}, child of the call's span, and the attempt's own
 * {@code traceparent} on the wire, so that each server span is a child of the attempt that reached it.
 * gRPC retries and hedges below every interceptor, so an interceptor sees one call however many attempts it
 * takes; a {@link ClientStreamTracer} is created per attempt, with that attempt's own headers. Runs inside
 * {@link CallSpans}, which passes the call's span in the call's options ({@link #CALL}).
 */
final class AttemptSpans implements ClientInterceptor {

  /** How many attempts came before this one (0 for the first); gRPC's own tracing's name for it. */
  static final AttributeKey<Long> PREVIOUS_ATTEMPTS = AttributeKey.longKey("rpc.grpc.previous_rpc_attempts");
  /** Whether gRPC repeated the attempt on its own because the earlier one never reached a server. */
  static final AttributeKey<Boolean> TRANSPARENT_RETRY = AttributeKey.booleanKey("rpc.grpc.transparent_retry");
  /** The OpenTelemetry context of the call's span, which {@link CallSpans} sets; absent, no attempt is traced. */
  static final CallOptions.Key<Context> CALL = CallOptions.Key.create("io.github.usergrpc.user.client.callSpan");

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  AttemptSpans(OpenTelemetry openTelemetry, String scope) {
    this.tracer = openTelemetry.getTracer(scope);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions, Channel next) {
    Context call = callOptions.getOption(CALL);
    if (call == null || !Span.fromContext(call).getSpanContext().isValid()) {
      return next.newCall(method, callOptions);
    }
    String name = "Attempt " + method.getFullMethodName();
    return next.newCall(method, callOptions.withStreamTracerFactory(new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        Span attempt = tracer.spanBuilder(name).setParent(call).setSpanKind(SpanKind.INTERNAL)
            .setAttribute(PREVIOUS_ATTEMPTS, (long) info.getPreviousAttempts())
            .setAttribute(TRANSPARENT_RETRY, info.isTransparentRetry())
            .startSpan();
        // The headers are this attempt's own copy: the call's traceparent gives way to the attempt's.
        for (String field : propagator.fields()) {
          headers.discardAll(Metadata.Key.of(field, Metadata.ASCII_STRING_MARSHALLER));
        }
        propagator.inject(call.with(attempt), headers, CallSpans.SETTER);
        return new ClientStreamTracer() {
          @Override
          public void streamClosed(Status status) {
            attempt.setAttribute(CallSpans.RPC_GRPC_STATUS_CODE, (long) status.getCode().value());
            if (!status.isOk()) {
              attempt.setStatus(StatusCode.ERROR, status.getCode().name());
            }
            attempt.end();
          }
        };
      }
    }));
  }
}
