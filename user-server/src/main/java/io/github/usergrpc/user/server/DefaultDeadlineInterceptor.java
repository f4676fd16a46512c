package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.internal.ErrorMapper;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.Contexts;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Gives a unary call that arrives without a deadline the server's default one: the call runs in a context
 * with that deadline (so {@code Context.current().getDeadline()} is set, and work that honours the context
 * stops), and when it passes the call is closed with DEADLINE_EXCEEDED, whatever the handler still does. A
 * call with its own deadline keeps it, longer or not. Streams (WatchUserActivity) are left alone: they are
 * meant to stay open.
 *
 * <p>The call is closed from the timer's thread while a handler may be using it on another, so every way
 * out (headers, messages, close) goes through one lock; once closed, what the handler sends is dropped.
 * This interceptor must be the outermost, so that every close passes through it.
 */
final class DefaultDeadlineInterceptor implements ServerInterceptor {

  private final Duration deadline;
  private final long deadlineNanos;
  private final ScheduledExecutorService timer;

  /**
   * Creates the interceptor.
   *
   * @param deadline the default deadline, positive
   * @param timer runs the deadlines; should remove cancelled tasks, as most calls end before their deadline
   */
  DefaultDeadlineInterceptor(Duration deadline, ScheduledExecutorService timer) {
    this.deadline = requireNonNull(deadline, "deadline");
    this.deadlineNanos = deadline.toNanos();
    this.timer = requireNonNull(timer, "timer");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (call.getMethodDescriptor().getType() != MethodType.UNARY) {
      return next.startCall(call, headers);
    }
    // Read once: with OpenTelemetry's gRPC context bridge on the class path, each read makes a new Context.
    Context current = Context.current();
    if (current.getDeadline() != null) {
      return next.startCall(call, headers);
    }
    Context.CancellableContext context;
    try {
      context = current.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS, timer);
    } catch (RejectedExecutionException shutDown) {
      StatusRuntimeException error = ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
          "the server is shutting down", Map.of());
      call.close(error.getStatus(), error.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    GuardedCall<ReqT, RespT> guarded = new GuardedCall<>(call);
    context.addListener(cancelled -> {
      if (cancelled.cancellationCause() instanceof TimeoutException) {
        guarded.expire(deadline);
      }
    }, Runnable::run);
    ServerCall.Listener<ReqT> listener;
    try {
      listener = Contexts.interceptCall(context, guarded, headers, next);
    } catch (RuntimeException e) {
      context.cancel(null);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          // Frees the timer task at once: most calls end long before their deadline.
          context.cancel(null);
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          context.cancel(null);
        }
      }
    };
  }

  /** A call that the deadline may close from another thread than the handler's. */
  private static final class GuardedCall<ReqT, RespT> extends SimpleForwardingServerCall<ReqT, RespT> {
    @GuardedBy("this")
    private boolean closed;
    private volatile boolean expired;

    GuardedCall(ServerCall<ReqT, RespT> call) {
      super(call);
    }

    synchronized void expire(Duration deadline) {
      if (closed) {
        return;
      }
      closed = true;
      expired = true;
      StatusRuntimeException error = ErrorMapper.withErrorInfo(Status.DEADLINE_EXCEEDED.withDescription(
          "the call was sent without a deadline and did not finish within the server's default of "
              + deadline.toMillis() + " ms"), new Metadata());
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
