package io.github.usergrpc.user.server;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.internal.ErrorMapper;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.annotation.Nullable;

/**
 * Which thread runs the work of a UserService call that may wait for its store.
 *
 * <p>{@link #onTransport()}: the thread the transport delivers the call on. With a server on
 * {@code directExecutor()} that is Netty's event loop, with no hand-off to another thread: right for a store
 * that never waits (the memory store), and the fastest, since a hand-off costs more than such a call.
 *
 * <p>{@link #onPool}: the call's parsing, validation and handler run on a pool of their own, and never on
 * the transport's thread, which may be an event loop serving many connections. The pool's queue is bounded:
 * when {@code maxQueuedCalls} calls already wait for one of its threads, a new call is refused at once
 * with UNAVAILABLE (STORE_UNAVAILABLE, with the same retry pushback as a database outage), before it
 * has touched the store, so that a slow database can neither block event loops nor pile up calls that
 * would miss their deadlines anyway. A queued call whose client has gone, or whose deadline has passed,
 * is dropped without reaching the store.
 *
 * <p>Authentication, the default deadline and the call log run before the hand-off, on the transport's
 * thread: they never wait.
 */
public final class CallThreads {

  /** The default of {@code maxQueuedCalls} that {@link #forStore} uses. */
  static final int DEFAULT_MAX_QUEUED_CALLS = 1024;

  @Nullable private final Executor pool;
  private final int maxQueuedCalls;
  private final AtomicInteger queued = new AtomicInteger();

  private CallThreads(@Nullable Executor pool, int maxQueuedCalls) {
    this.pool = pool;
    this.maxQueuedCalls = maxQueuedCalls;
  }

  /**
   * Returns the choice of running every call on the thread the transport delivers it on: for a store that
   * never blocks, or for a transport whose own executor is a pool.
   *
   * @return the choice
   */
  public static CallThreads onTransport() {
    return new CallThreads(null, 0);
  }

  /**
   * Returns the choice of running the store's side of every call on {@code pool}, with at most
   * {@code maxQueuedCalls} calls waiting for it. The pool is not owned: shut it down after the server.
   *
   * @param pool runs the calls; its threads may block on the store
   * @param maxQueuedCalls how many admitted calls may wait for a thread of {@code pool}; at least 1
   * @return the choice
   */
  public static CallThreads onPool(Executor pool, int maxQueuedCalls) {
    if (maxQueuedCalls < 1) {
      throw new IllegalArgumentException("maxQueuedCalls: " + maxQueuedCalls + " (expected: >= 1)");
    }
    return new CallThreads(requireNonNull(pool, "pool"), maxQueuedCalls);
  }

  /**
   * Returns the choice for {@code store}: on the transport for the memory store, which never blocks; on
   * {@code pool} for any other store, which may.
   */
  static CallThreads forStore(UserStore store, Executor pool) {
    return store instanceof InMemoryUserStore ? onTransport() : onPool(pool, DEFAULT_MAX_QUEUED_CALLS);
  }

  /** Returns true if calls leave the transport's thread, so that the transport may call on an event loop. */
  boolean offloads() {
    return pool != null;
  }

  /** Returns the interceptor that hands calls to the pool, or empty for {@link #onTransport()}. */
  Optional<ServerInterceptor> interceptor() {
    return pool == null ? Optional.empty() : Optional.of(new Handoff());
  }

  private final class Handoff implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
        ServerCallHandler<ReqT, RespT> next) {
      if (queued.incrementAndGet() > maxQueuedCalls) {
        queued.decrementAndGet();
        close(call, ErrorMapper.toStatusException(new StoreUnavailableException(new RejectedExecutionException(
            "the calls waiting for a store thread reached the limit of " + maxQueuedCalls))));
        return new ServerCall.Listener<>() {};
      }
      return new PooledListener<>(call, headers, next);
    }
  }

  /**
   * Runs the events of one call on the pool, one at a time and in order, each in the call's context (as
   * grpc-java runs them on its own executor); the first event starts the call below.
   */
  private final class PooledListener<ReqT, RespT> extends ServerCall.Listener<ReqT> {
    private final ServerCall<ReqT, RespT> call;
    private final Context context = Context.current();
    private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
    private final AtomicInteger scheduled = new AtomicInteger();
    /** Set by the first event; read and written on the pool only, one event at a time. */
    @Nullable private ServerCall.Listener<ReqT> delegate;
    private boolean done;

    PooledListener(ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      this.call = call;
      boolean accepted = execute(() -> {
        queued.decrementAndGet();
        if (call.isCancelled() || context.isCancelled()) {
          // The client has gone or the deadline has passed while the call waited; gRPC ends it.
          done = true;
          return;
        }
        delegate = next.startCall(call, headers);
      });
      if (!accepted) {
        queued.decrementAndGet();
      }
    }

    @Override
    public void onMessage(ReqT message) {
      execute(() -> delegate.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      execute(() -> delegate.onHalfClose());
    }

    @Override
    public void onCancel() {
      execute(() -> delegate.onCancel());
    }

    @Override
    public void onComplete() {
      execute(() -> delegate.onComplete());
    }

    @Override
    public void onReady() {
      execute(() -> delegate.onReady());
    }

    /** Queues {@code event}; returns false if the pool is shut down, after closing the call. */
    private boolean execute(Runnable event) {
      events.add(event);
      if (scheduled.getAndIncrement() != 0) {
        return true; // the loop that runs now takes it
      }
      try {
        pool.execute(this::runEvents);
        return true;
      } catch (RejectedExecutionException shutDown) {
        events.clear();
        done = true;
        close(call, ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN, "the server is shutting down", Map.of()));
        return false;
      }
    }

    private void runEvents() {
      Context previous = context.attach();
      try {
        int missed = 1;
        do {
          Runnable event;
          while ((event = events.poll()) != null) {
            if (done) {
              continue;
            }
            try {
              event.run();
            } catch (RuntimeException e) {
              // What grpc-java does with a handler's exception, with the service's own error mapping.
              done = true;
              close(call, ErrorMapper.toStatusException(e));
            }
          }
          missed = scheduled.addAndGet(-missed);
        } while (missed != 0);
      } finally {
        context.detach(previous);
      }
    }
  }

  private static void close(ServerCall<?, ?> call, StatusRuntimeException error) {
    try {
      call.close(error.getStatus(), error.getTrailers());
    } catch (IllegalStateException alreadyClosed) {
      // The call ended first; the client has its answer.
    }
  }

  /** For tests: the calls admitted that wait for a thread of the pool. */
  int queuedCalls() {
    return queued.get();
  }

  @Override
  public String toString() {
    return pool == null ? "CallThreads[transport]" : "CallThreads[pool, maxQueuedCalls=" + maxQueuedCalls + "]";
  }
}
