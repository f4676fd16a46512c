package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.internal.ErrorMapper;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Gives a unary call that arrives without a deadline the server's default one: when it passes, the call is
 * closed with DEADLINE_EXCEEDED, whatever the handler still does. A call with its own deadline keeps it,
 * longer or not. Streams (WatchUserActivity) are left alone: they are meant to stay open.
 *
 * <p>The default is enforced on the call, not put in the handler's context: {@code
 * Context.current().getDeadline()} stays null for such a call. A context with a deadline cost a cancellable
 * context, a listener on the call's context and re-attaching it around every callback, for each call (issue
 * 17), and nothing in the server reads it. Work that honours the context still stops: once the close
 * reaches the call's listener, gRPC cancels the call's context (ServerCallImpl, after onComplete); on the
 * gRPC port's direct executor that is as soon as the transport's thread is free, so at once for a handler
 * on {@link CallThreads}, which also drops a queued call whose {@link ServerCall#isCancelled()} says the
 * deadline passed.
 *
 * <p>The call is closed from the timer's thread while a handler may be using it on another, so every way
 * out (headers, messages, close) goes through one lock; once closed, what the handler sends is dropped.
 * This interceptor must be the outermost, so that every close passes through it. The timer task is
 * cancelled when the call ends (most calls end long before their deadline).
 */
final class DefaultDeadlineInterceptor implements ServerInterceptor {

  private final long deadlineNanos;
  private final Status expired;
  private final ScheduledExecutorService timer;

  /**
   * Creates the interceptor.
   *
   * @param deadline the default deadline, positive
   * @param timer runs the deadlines; should remove cancelled tasks, as most calls end before their deadline
   */
  DefaultDeadlineInterceptor(Duration deadline, ScheduledExecutorService timer) {
    this.deadlineNanos = deadline.toNanos();
    this.expired = Status.DEADLINE_EXCEEDED.withDescription("the call was sent without a deadline and did not"
        + " finish within the server's default of " + deadline.toMillis() + " ms");
    this.timer = requireNonNull(timer, "timer");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (call.getMethodDescriptor().getType() != MethodType.UNARY
        || Context.current().getDeadline() != null) {
      return next.startCall(call, headers);
    }
    GuardedCall<ReqT, RespT> guarded = new GuardedCall<>(call, expired);
    Future<?> expiry;
    try {
      expiry = timer.schedule(guarded, deadlineNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      StatusRuntimeException error = ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
          "the server is shutting down", Map.of());
      call.close(error.getStatus(), error.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(guarded, headers);
    } catch (RuntimeException e) {
      expiry.cancel(false);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          expiry.cancel(false);
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          expiry.cancel(false);
        }
      }
    };
  }

  /**
   * A call that the deadline may close from another thread than the handler's; it is the timer's task that
   * does so.
   */
  private static final class GuardedCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT>
      implements Runnable {
    private final Status expiredStatus;
    @GuardedBy("this")
    private boolean closed;
    private volatile boolean expired;

    GuardedCall(ServerCall<ReqT, RespT> call, Status expiredStatus) {
      super(call);
      this.expiredStatus = expiredStatus;
    }

    /** The deadline has passed. */
    @Override
    public synchronized void run() {
      if (closed) {
        return;
      }
      closed = true;
      expired = true;
      // Trailers are the call's own: built here, for the few calls that expire.
      StatusRuntimeException error = ErrorMapper.withErrorInfo(expiredStatus, new Metadata());
      super.close(error.getStatus(), error.getTrailers());
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(RespT message) {
      if (!closed) {
        super.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (closed) {
        return;
      }
      closed = true;
      super.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return expired || super.isCancelled();
    }
  }
}
