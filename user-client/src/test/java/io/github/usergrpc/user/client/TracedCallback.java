package io.github.usergrpc.user.client;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One traced call with the OpenTelemetry API alone (a propagating no-op, as a consumer without an SDK has, so
 * the call and attempt spans carry the caller's ids), where gRPC's context storage is gRPC's own:
 * {@link ChainedCallsTest} runs it in the class loader of a consumer's class path. Nothing carries the
 * OpenTelemetry context along with gRPC's there, so what the client does itself shows.
 */
public final class TracedCallback {

  /** The caller's span: trace and span id. */
  public static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  public static final String SPAN_ID = "00f067aa0ba902b7";

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

  private TracedCallback() {}

  /**
   * Makes a GetUser call within the caller's span and returns, in this order, the {@code traceparent} the
   * server received and the span id current in the call's callback, which gRPC runs on its own thread.
   *
   * @throws Exception if the call fails or takes more than a minute
   */
  @SuppressWarnings("try") // the Scope only makes the caller's span current
  public static List<String> run() throws Exception {
    AtomicReference<String> traceparent = new AtomicReference<>();
    CountDownLatch chained = new CountDownLatch(1);
    String name = InProcessServerBuilder.generateName();
    UserServiceGrpc.UserServiceImplBase service = new UserServiceGrpc.UserServiceImplBase() {
      @Override
      public void getUser(GetUserRequest request, StreamObserver<UserResponse> responses) {
        // Answers once the caller has chained its callback, so that the callback runs when the call closes.
        try {
          chained.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        responses.onNext(UserResponse.newBuilder().setId(request.getId()).build());
        responses.onCompleted();
      }
    };
    ServerInterceptor headers = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata metadata,
          ServerCallHandler<ReqT, RespT> next) {
        traceparent.set(metadata.get(TRACEPARENT));
        return next.startCall(call, metadata);
      }
    };
    Server server = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(service, headers))
        .build().start();
    OpenTelemetry api = OpenTelemetry.propagating(ContextPropagators.create(W3CTraceContextPropagator.getInstance()));
    Span caller = Span.wrap(SpanContext.create(TRACE_ID, SPAN_ID, TraceFlags.getSampled(), TraceState.getDefault()));
    try (UserClient client = UserClient.newBuilder().setChannelBuilder(InProcessChannelBuilder.forName(name))
        .setOpenTelemetry(api).build()) {
      CompletableFuture<String> inCallback;
      try (Scope ignored = caller.makeCurrent()) {
        inCallback = client.getUser("u1").thenApply(user -> Span.current().getSpanContext().getSpanId());
      }
      chained.countDown();
      String spanInCallback = inCallback.get(1, TimeUnit.MINUTES);
      return List.of(String.valueOf(traceparent.get()), spanInCallback);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
