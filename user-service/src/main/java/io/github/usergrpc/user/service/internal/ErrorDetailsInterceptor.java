package io.github.usergrpc.user.service.internal;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The outermost interceptor of the UserService: every error a call ends with carries a
 * {@code google.rpc.ErrorInfo} (AIP-193), and an exception that escapes a handler or interceptor becomes
 * INTERNAL with a generic message (logged with its cause) instead of grpc-java's UNKNOWN.
 */
public final class ErrorDetailsInterceptor implements ServerInterceptor {

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    ServerCall<ReqT, RespT> detailed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (status.isOk()) {
          super.close(status, trailers);
          return;
        }
        StatusRuntimeException withInfo = ErrorMapper.withErrorInfo(status, trailers);
        super.close(withInfo.getStatus(), withInfo.getTrailers());
      }
    };
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(detailed, headers);
    } catch (RuntimeException e) {
      closeWith(detailed, e);
      return new ServerCall.Listener<>() {};
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(ReqT message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          closeWith(detailed, e);
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          closeWith(detailed, e);
        }
      }

      @Override
      public void onReady() {
        try {
          super.onReady();
        } catch (RuntimeException e) {
          closeWith(detailed, e);
        }
      }
    };
  }

  private static void closeWith(ServerCall<?, ?> call, RuntimeException failure) {
    StatusRuntimeException status = ErrorMapper.toStatusException(failure);
    try {
      call.close(status.getStatus(), status.getTrailers());
    } catch (IllegalStateException alreadyClosed) {
      // The handler closed the call before it failed; the client has its answer.
    }
  }
}
