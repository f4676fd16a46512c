package io.github.usergrpc.user.service.internal;

import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Lets a WatchUserActivity stream send its response headers as soon as it has started, carrying
 * {@value Headers#ACTIVITY_RESUME_AFTER}: the sequence the stream starts after. A client whose stream breaks
 * before the first event reconnects with that value as {@code resume_after} and misses nothing; without it, a
 * live-only watch (resume_after 0) would have no position to resume from. Clients that do not know the
 * header ignore it.
 */
public final class WatchHeaders implements ServerInterceptor {

  private static final Context.Key<HeaderSender<?, ?>> SENDER = Context.key("user-grpc-watch-headers");

  /** Sends the headers of the current watch call with its start position; does nothing outside one. */
  static void sendStart(long resumeAfter) {
    HeaderSender<?, ?> sender = SENDER.get();
    if (sender != null) {
      sender.sendStart(resumeAfter);
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (!call.getMethodDescriptor().getFullMethodName()
        .equals(UserServiceGrpc.getWatchUserActivityMethod().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    HeaderSender<ReqT, RespT> sender = new HeaderSender<>(call);
    return Contexts.interceptCall(Context.current().withValue(SENDER, sender), sender, headers, next);
  }

  /** Sends headers once: either early with the start position, or when gRPC sends them with a message. */
  private static final class HeaderSender<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    private boolean sent;

    HeaderSender(ServerCall<ReqT, RespT> call) {
      super(call);
    }

    synchronized void sendStart(long resumeAfter) {
      if (sent) {
        return;
      }
      Metadata headers = new Metadata();
      headers.put(Headers.ACTIVITY_RESUME_AFTER_KEY, Long.toString(resumeAfter));
      sendHeaders(headers);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!sent) {
        sent = true;
        super.sendHeaders(headers);
      }
    }
  }
}
