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
import javax.annotation.Nullable;

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
 * <p>For handlers that never block ({@code armAfterRequest}: the memory store's), the deadline still counts
 * from the call's start, but its timer task is armed only once the request is complete (half-close), and only
 * if the call is still open then: a unary handler starts at half-close, so before it there is no work to
 * stop, and a call answered in that same pass needs no task at all. Scheduling and cancelling one cost a
 * measurable share of such a call (issue 17). A client that never finishes its request then holds only its
 * own stream, as one that sends a long deadline of its own may. A handler that may block runs inside the
 * half-close, so for it the task is armed at the start.
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
  private final boolean armAfterRequest;

  /**
   * Creates the interceptor, arming each call's task at its start.
   *
   * @param deadline the default deadline, positive
   * @param timer runs the deadlines; should remove cancelled tasks, as most calls end before their deadline
   */
  DefaultDeadlineInterceptor(Duration deadline, ScheduledExecutorService timer) {
    this(deadline, timer, false);
  }

  /**
   * Creates the interceptor.
   *
   * @param deadline the default deadline, positive
   * @param timer runs the deadlines; should remove cancelled tasks, as most calls end before their deadline
   * @param armAfterRequest true if no handler blocks the thread that completes its request: then a call's task
   *     is armed after its half-close, if the call is still open
   */
  DefaultDeadlineInterceptor(Duration deadline, ScheduledExecutorService timer, boolean armAfterRequest) {
    this.deadlineNanos = deadline.toNanos();
    this.expired = Status.DEADLINE_EXCEEDED.withDescription("the call was sent without a deadline and did not"
        + " finish within the server's default of " + deadline.toMillis() + " ms");
    this.timer = requireNonNull(timer, "timer");
    this.armAfterRequest = armAfterRequest;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (call.getMethodDescriptor().getType() != MethodType.UNARY
        || Context.current().getDeadline() != null) {
      return next.startCall(call, headers);
    }
    if (armAfterRequest) {
      return armedAfterRequest(call, headers, next);
    }
    GuardedCall<ReqT, RespT> guarded = new GuardedCall<>(call, expired);
    Future<?> expiry;
    try {
      expiry = timer.schedule(guarded, deadlineNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      refuseAsShuttingDown(call);
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

  /** Starts a call whose task is armed after its half-close, if it is still open then. */
  private <ReqT, RespT> ServerCall.Listener<ReqT> armedAfterRequest(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (timer.isShutdown()) {
      refuseAsShuttingDown(call);
      return new ServerCall.Listener<>() {};
    }
    long deadline = System.nanoTime() + deadlineNanos;
    GuardedCall<ReqT, RespT> guarded = new GuardedCall<>(call, expired);
    return new SimpleForwardingServerCallListener<>(next.startCall(guarded, headers)) {
      // Written and read only by this call's events, which the transport delivers one after another.
      @Nullable private Future<?> expiry;

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } finally {
          if (!guarded.isClosed()) {
            expiry = scheduleOrNull(guarded, deadline - System.nanoTime());
          }
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          cancelExpiry();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          cancelExpiry();
        }
      }

      private void cancelExpiry() {
        if (expiry != null) {
          expiry.cancel(false);
        }
      }
    };
  }

  /**
   * Schedules the expiry of {@code call}; returns null if the timer was shut down since the call started: the
   * server is going away, and its shutdownNow ends the call.
   */
  @Nullable
  private Future<?> scheduleOrNull(GuardedCall<?, ?> call, long delayNanos) {
    try {
      return timer.schedule(call, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      return null;
    }
  }

  private static void refuseAsShuttingDown(ServerCall<?, ?> call) {
    StatusRuntimeException error = ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
        "the server is shutting down", Map.of());
    call.close(error.getStatus(), error.getTrailers());
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

    /** Returns whether the call was closed, by the handler or by its deadline. */
    synchronized boolean isClosed() {
      return closed;
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
