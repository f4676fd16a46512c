package io.github.usergrpc.user.client;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import javax.annotation.Nullable;

/**
 * A CLIENT span per call, with the OpenTelemetry API only: named as the method ({@code user.UserService/GetUser}),
 * child of the OpenTelemetry context current when the call is made, with the attributes and status the
 * OpenTelemetry gRPC instrumentation ({@code opentelemetry-grpc-1.6}) gives its client spans, and the call's W3C
 * {@code traceparent} (any field of the {@link OpenTelemetry}'s propagators) in its headers. The span goes to
 * {@link AttemptSpans} in the call's options ({@link AttemptSpans#CALL}), not through any context storage:
 * this client must not replace gRPC's (the instrumentation's jar does, for every call of the JVM).
 */
final class CallSpans implements ClientInterceptor {

  // The RPC span attributes of the semantic conventions the instrumentation emits by default.
  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
  static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");

  static final TextMapSetter<Metadata> SETTER = (headers, key, value) -> {
    if (headers != null) {
      headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
    }
  };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  CallSpans(OpenTelemetry openTelemetry, String scope) {
    this.tracer = openTelemetry.getTracer(scope);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions, Channel next) {
    Context parent = Context.current();
    String fullName = method.getFullMethodName();
    SpanBuilder builder = tracer.spanBuilder(fullName).setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setAttribute(RPC_SYSTEM, "grpc");
    int slash = fullName.lastIndexOf('/');
    if (slash >= 0) {
      builder.setAttribute(RPC_SERVICE, fullName.substring(0, slash))
          .setAttribute(RPC_METHOD, fullName.substring(slash + 1));
    }
    setServer(builder, next.authority());
    Span span = builder.startSpan();
    Context call = parent.with(span);
    ClientCall<ReqT, RespT> delegate;
    try {
      delegate = next.newCall(method, callOptions.withOption(AttemptSpans.CALL, call));
    } catch (RuntimeException | Error e) {
      end(span, Status.fromThrowable(e));
      throw e;
    }
    return new SimpleForwardingClientCall<>(delegate) {
      @Override
      public void start(Listener<RespT> responseListener, Metadata headers) {
        propagator.inject(call, headers, SETTER);
        try {
          super.start(new CallListener<>(responseListener, parent, span, this), headers);
        } catch (RuntimeException | Error e) {
          end(span, Status.fromThrowable(e));
          throw e;
        }
      }
    };
  }

  /**
   * Ends the span when the call closes, and runs the caller's callbacks with the context the call was made in
   * current, as the instrumentation does: work chained on a call's answer belongs to the caller's span.
   */
  @SuppressWarnings("try") // each Scope only makes the caller's context current for its block
  private static final class CallListener<RespT> extends SimpleForwardingClientCallListener<RespT> {
    private final Context parent;
    private final Span span;
    private final ClientCall<?, RespT> call;

    CallListener(ClientCall.Listener<RespT> delegate, Context parent, Span span, ClientCall<?, RespT> call) {
      super(delegate);
      this.parent = parent;
      this.span = span;
      this.call = call;
    }

    @Override
    public void onHeaders(Metadata headers) {
      try (Scope ignored = parent.makeCurrent()) {
        super.onHeaders(headers);
      }
    }

    @Override
    public void onMessage(RespT message) {
      try (Scope ignored = parent.makeCurrent()) {
        super.onMessage(message);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      setPeer(span, call.getAttributes());
      end(span, status);
      try (Scope ignored = parent.makeCurrent()) {
        super.onClose(status, trailers);
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = parent.makeCurrent()) {
        super.onReady();
      }
    }
  }

  private static void end(Span span, Status status) {
    span.setAttribute(RPC_GRPC_STATUS_CODE, (long) status.getCode().value());
    if (!status.isOk()) {
      span.setStatus(StatusCode.ERROR, status.getCode().name());
      if (status.getCause() != null) {
        span.recordException(status.getCause());
      }
    }
    span.end();
  }

  /** {@code server.address} and {@code server.port} from the channel's authority ({@code host[:port]}). */
  private static void setServer(SpanBuilder span, @Nullable String authority) {
    if (authority == null || authority.isEmpty()) {
      return;
    }
    String host = authority;
    int colon = authority.lastIndexOf(':');
    if (colon > authority.lastIndexOf(']')) {
      host = authority.substring(0, colon);
      try {
        int port = Integer.parseInt(authority.substring(colon + 1));
        if (port > 0) {
          span.setAttribute(SERVER_PORT, (long) port);
        }
      } catch (NumberFormatException e) {
        // An authority without a numeric port: the address alone.
      }
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    span.setAttribute(SERVER_ADDRESS, host);
  }

  /** {@code network.peer.*}: the address the call went to, when the transport is a socket. */
  private static void setPeer(Span span, @Nullable Attributes attributes) {
    SocketAddress peer = attributes == null ? null : attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (peer instanceof InetSocketAddress address && address.getAddress() != null) {
      span.setAttribute(NETWORK_PEER_ADDRESS, address.getAddress().getHostAddress());
      span.setAttribute(NETWORK_PEER_PORT, (long) address.getPort());
    }
  }
}
