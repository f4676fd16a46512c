package io.github.usergrpc.user.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;

/**
 * One unary call as a {@link CompletableFuture} that owns its {@link ClientCall}: cancelling the future
 * cancels the call on the wire, and with it any retry gRPC has pending. (A future bridged from gRPC's
 * ListenableFuture does not do that for {@code cancel(false)}, see grpc-java#4721.)
 *
 * <p>Futures that {@code thenApply} and friends derive from this one do not cancel it: cancel this one.
 */
final class UnaryCall<RespT> extends CompletableFuture<RespT> {

  private final ClientCall<?, RespT> call;

  private UnaryCall(ClientCall<?, RespT> call) {
    this.call = call;
  }

  static <ReqT, RespT> UnaryCall<RespT> start(Channel channel, MethodDescriptor<ReqT, RespT> method,
      CallOptions options, ReqT request) {
    ClientCall<ReqT, RespT> call = channel.newCall(method, options);
    UnaryCall<RespT> future = new UnaryCall<>(call);
    call.start(new ClientCall.Listener<>() {
      private RespT response;

      @Override
      public void onMessage(RespT message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk()) {
          future.completeExceptionally(Exceptions.toClientException(status.asRuntimeException(trailers)));
        } else if (response == null) {
          future.completeExceptionally(Exceptions.toClientException(
              Status.INTERNAL.withDescription("the server closed the call without a response").asRuntimeException()));
        } else {
          future.complete(response);
        }
      }
    }, new Metadata());
    call.sendMessage(request);
    call.halfClose();
    call.request(2);
    return future;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled) {
      call.cancel("cancelled by the caller", null);
    }
    return cancelled;
  }
}
