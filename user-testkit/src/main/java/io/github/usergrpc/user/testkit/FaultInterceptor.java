package io.github.usergrpc.user.testkit;

import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.SynchronizationContext;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Records every UserService call and applies the scripted {@link Faults} to it, before validation, as a
 * network would: it sits in the server's interceptor chain where interceptors see the parsed request.
 *
 * <p>Calls that carry {@link #SEEDING} (the fake's own seeding calls) pass untouched and unrecorded.
 */
final class FaultInterceptor implements ServerInterceptor {

  /** The header of the fake's own seeding calls. */
  static final Metadata.Key<String> SEEDING =
      Metadata.Key.of("x-user-testkit-seeding", Metadata.ASCII_STRING_MARSHALLER);

  private static final Logger logger = Logger.getLogger(FaultInterceptor.class.getName());
  private static final String WATCH = UserServiceGrpc.getWatchUserActivityMethod().getFullMethodName();

  private final Faults faults;
  private final CallLog log;

  FaultInterceptor(Faults faults, CallLog log) {
    this.faults = faults;
    this.log = log;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (headers.containsKey(SEEDING)) {
      return next.startCall(call, headers);
    }
    FaultyCall<ReqT, RespT> faulty = new FaultyCall<>(call, copy(headers), remaining(Context.current().getDeadline()));
    faulty.handler = next.startCall(faulty.downstream, headers);
    return faulty.listener;
  }

  @Nullable
  private static Duration remaining(@Nullable Deadline deadline) {
    return deadline == null ? null : Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  private static Metadata copy(Metadata headers) {
    Metadata copy = new Metadata();
    copy.merge(headers);
    return copy;
  }

  /**
   * One intercepted call: the listener gRPC talks to, the call the handler talks to, and the request held
   * back while a fault makes the call wait.
   *
   * <p>Everything that touches the handler's listener runs in {@link #sync}, whichever thread it comes from
   * (gRPC's, the timer's, the fake's pool): a released call and a cancellation never run into the handler at
   * the same time, and no thread ever waits for another to do so.
   */
  private final class FaultyCall<ReqT, RespT> implements Faults.Held {
    private final ServerCall<ReqT, RespT> call;
    private final Metadata headers;
    @Nullable
    private final Duration timeout;
    private final String method;
    /** The call's context (deadline, cancellation), restored for a released call on the fake's threads. */
    private final Context context = Context.current();
    private final SynchronizationContext sync = new SynchronizationContext((thread, failure) ->
        logger.log(Level.SEVERE, "a UserService call of the fake failed unexpectedly", failure));
    private final Downstream downstream;
    private final Listener listener = new Listener();
    /** Set once, before gRPC delivers anything to {@link #listener}. */
    private ServerCall.Listener<ReqT> handler;

    // Only touched in sync.
    @Nullable
    private CallLog.Entry entry;
    @Nullable
    private Faults.Plan plan;
    @Nullable
    private ReqT heldRequest;
    private boolean holding;
    private boolean halfClosedWhileHolding;
    private boolean frozenStagePassed;
    /** The call was ended here (a fault, a drop, closing, a cancellation): the handler gets nothing more. */
    private boolean ended;
    private boolean handlerTerminated;
    @Nullable
    private Future<?> timer;

    FaultyCall(ServerCall<ReqT, RespT> call, Metadata headers, @Nullable Duration timeout) {
      this.call = call;
      this.headers = headers;
      this.timeout = timeout;
      this.method = call.getMethodDescriptor().getFullMethodName();
      this.downstream = new Downstream(call);
    }

    @Override
    public void resume() {
      sync.execute(() -> context.run(this::proceed));
    }

    @Override
    public void abort(StatusRuntimeException failure) {
      sync.execute(() -> {
        if (!ended) {
          failWith(failure);
        }
      });
    }

    /** Moves a held call on: past the freeze, then past the delay, then to its failure or the handler. */
    private void proceed() {
      if (ended || !holding) {
        return;
      }
      if (!frozenStagePassed) {
        frozenStagePassed = true;
        if (!plan.delay().isZero()) {
          timer = faults.schedule(this, plan.delay());
          return;
        }
      }
      holding = false;
      faults.forget(this);
      if (plan.failure() != null) {
        failWith(plan.failure());
        return;
      }
      handler.onMessage(heldRequest);
      heldRequest = null;
      if (halfClosedWhileHolding) {
        handler.onHalfClose();
      }
    }

    private void failWith(StatusRuntimeException failure) {
      holding = false;
      faults.forget(this);
      downstream.closeHere(failure.getStatus(), failure.getTrailers());
      abandon();
    }

    /** Ends the handler's part of the call: it gets onCancel, once, and nothing after that. */
    private void abandon() {
      ended = true;
      heldRequest = null;
      if (timer != null) {
        timer.cancel(false);
      }
      if (!handlerTerminated) {
        handlerTerminated = true;
        handler.onCancel();
      }
    }

    /** What gRPC calls. */
    private final class Listener extends ServerCall.Listener<ReqT> {
      @Override
      public void onMessage(ReqT message) {
        sync.execute(() -> {
          if (ended) {
            return;
          }
          if (entry != null) {
            // A unary or server-streaming call has one request; a second one is the handler's to reject,
            // unless the first is still held back.
            if (!holding) {
              handler.onMessage(message);
            }
            return;
          }
          entry = log.add(method, call.getMethodDescriptor().getBareMethodName(), message, headers, timeout);
          downstream.entry = entry;
          plan = faults.plan(method, FaultyCall.this);
          if (plan.isNone()) {
            handler.onMessage(message);
            return;
          }
          holding = true;
          heldRequest = message;
          frozenStagePassed = !plan.frozen();
          if (frozenStagePassed) {
            if (!plan.delay().isZero()) {
              timer = faults.schedule(FaultyCall.this, plan.delay());
            } else {
              proceed();
            }
          }
        });
      }

      @Override
      public void onHalfClose() {
        sync.execute(() -> {
          if (ended) {
            return;
          }
          if (holding) {
            halfClosedWhileHolding = true;
          } else {
            handler.onHalfClose();
          }
        });
      }

      @Override
      public void onCancel() {
        sync.execute(() -> {
          if (entry != null) {
            entry.cancelled();
          }
          holding = false;
          faults.forget(FaultyCall.this);
          abandon();
        });
      }

      @Override
      public void onComplete() {
        sync.execute(() -> {
          if (!handlerTerminated) {
            handlerTerminated = true;
            handler.onComplete();
          }
        });
      }

      @Override
      public void onReady() {
        sync.execute(() -> {
          if (!ended) {
            handler.onReady();
          }
        });
      }
    }

    /**
     * What the handler talks to: notes how the call ends, drops a watch stream after the scripted number of
     * events, and ignores the handler once the call was ended here.
     */
    private final class Downstream extends SimpleForwardingServerCall<ReqT, RespT> {
      // Set in sync before the handler gets the request; read on the handler's threads after that.
      @Nullable
      private volatile CallLog.Entry entry;
      private boolean closed;
      private int sent;

      Downstream(ServerCall<ReqT, RespT> call) {
        super(call);
      }

      @Override
      public void sendMessage(RespT message) {
        boolean drop;
        synchronized (this) {
          if (closed) {
            return;
          }
          sent++;
          int dropAfter = method.equals(WATCH) ? faults.dropWatchAfter() : 0;
          drop = dropAfter > 0 && sent >= dropAfter;
        }
        super.sendMessage(message);
        if (drop) {
          closeHere(Status.UNAVAILABLE.withDescription(
              "FakeUserService.dropWatchAfter(): the stream was dropped after " + sent + " events"), new Metadata());
          sync.execute(FaultyCall.this::abandon);
        }
      }

      @Override
      public boolean isReady() {
        synchronized (this) {
          if (closed) {
            return false;
          }
        }
        return super.isReady();
      }

      @Override
      public void close(Status status, Metadata trailers) {
        closeHere(status, trailers);
      }

      /** Closes the call, once; later closes (the handler's, after a fault ended the call) are ignored. */
      void closeHere(Status status, Metadata trailers) {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
        }
        CallLog.Entry current = entry;
        if (current != null) {
          current.closed(status);
        }
        super.close(status, trailers);
      }
    }
  }
}
