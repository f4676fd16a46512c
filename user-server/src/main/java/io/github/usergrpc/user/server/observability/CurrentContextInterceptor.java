package io.github.usergrpc.user.server.observability;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * Makes the OpenTelemetry context that is current when a call is intercepted current again around each of
 * the call's listener callbacks, where its handler runs. Right inside the instrumentation's server
 * interceptor, that context holds the call's SERVER span: the instrumentation makes it current only while
 * it intercepts the call, and gRPC runs the callbacks in its own {@code io.grpc.Context}, which does not carry
 * OpenTelemetry's (user-server.jar leaves out the instrumentation's bridge between the two, see
 * {@link ServerTracing}). So the store's spans, the call pool's {@code Context.taskWrapping} (which captures
 * at {@code execute}) and anything else in the handler find the call's span.
 */
@SuppressWarnings("try") // each Scope only makes the call's context current while a callback runs
final class CurrentContextInterceptor implements ServerInterceptor {

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Context context = Context.current();
    return new Listener<>(next.startCall(call, headers), context);
  }

  private static final class Listener<ReqT> extends SimpleForwardingServerCallListener<ReqT> {
    private final Context context;

    Listener(ServerCall.Listener<ReqT> delegate, Context context) {
      super(delegate);
      this.context = context;
    }

    @Override
    public void onMessage(ReqT message) {
      try (Scope ignored = context.makeCurrent()) {
        super.onMessage(message);
      }
    }

    @Override
    public void onHalfClose() {
      try (Scope ignored = context.makeCurrent()) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      try (Scope ignored = context.makeCurrent()) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      try (Scope ignored = context.makeCurrent()) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      try (Scope ignored = context.makeCurrent()) {
        super.onReady();
      }
    }
  }
}
