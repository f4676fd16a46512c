package io.github.usergrpc.user.client;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.api.Headers;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A WatchUserActivity stream that survives broken connections: when the stream fails with a transient status
 * it opens a new one after a jittered exponential backoff, with {@code resume_after} set to the last sequence
 * it delivered (or the start position the server announced in the {@code activity-resume-after} header), and
 * drops anything at or below that sequence. So the sink, an {@link ActivityListener} called one event at a
 * time, sees every event exactly once and in order.
 *
 * <p>Flow control follows the sink's demand: at most {@value #WINDOW} events are requested from the server
 * beyond what was delivered, and never more than the sink asked for.
 */
final class ResumableWatch implements WatchHandle {

  static final int WINDOW = 32;
  private static final Metadata.Key<String> RESUME_AFTER = Headers.ACTIVITY_RESUME_AFTER_KEY;
  /** Statuses after which a new stream may succeed; anything else ends the watch. */
  private static final Set<Status.Code> TRANSIENT = EnumSet.of(Status.Code.UNAVAILABLE,
      Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED, Status.Code.INTERNAL, Status.Code.UNKNOWN,
      Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);

  private final Channel channel;
  private final CallOptions options;
  private final ScheduledExecutorService scheduler;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final String userId;
  private final ActivityListener sink;
  private final boolean validateRequests;
  private final CompletableFuture<Long> startPosition = new CompletableFuture<>();
  private final Object lock = new Object();

  @GuardedBy("lock")
  private ClientCall<WatchRequest, ActivityEvent> call;
  @GuardedBy("lock")
  private long lastSequence;
  @GuardedBy("lock")
  private long demand;
  @GuardedBy("lock")
  private long requested;
  @GuardedBy("lock")
  private boolean started;
  @GuardedBy("lock")
  private boolean done;
  @GuardedBy("lock")
  private int failuresInARow;
  @GuardedBy("lock")
  private int reconnects;
  @GuardedBy("lock")
  private ScheduledFuture<?> pendingReconnect;

  ResumableWatch(Channel channel, CallOptions options, ScheduledExecutorService scheduler,
      Duration initialBackoff, Duration maxBackoff, String userId, long resumeAfter, ActivityListener sink,
      boolean validateRequests) {
    this.channel = channel;
    this.options = options;
    this.scheduler = scheduler;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.userId = userId;
    this.lastSequence = resumeAfter;
    this.sink = sink;
    this.validateRequests = validateRequests;
  }

  /**
   * Adds demand for {@code n} more events; the first call opens the stream.
   *
   * @param n events wanted, positive; {@code Long.MAX_VALUE} means unbounded
   */
  void request(long n) {
    boolean open;
    synchronized (lock) {
      if (done) {
        return;
      }
      demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
      open = !started;
      started = true;
      if (!open) {
        requestMore();
      }
    }
    if (open) {
      connect();
    }
  }

  @Override
  public void cancel() {
    ClientCall<WatchRequest, ActivityEvent> current;
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      if (pendingReconnect != null) {
        pendingReconnect.cancel(false);
      }
      current = call;
      call = null;
    }
    startPosition.completeExceptionally(new CancellationException("the watch was cancelled before it started"));
    if (current != null) {
      current.cancel("watch cancelled by the client", null);
    }
  }

  @Override
  public CompletionStage<Long> started() {
    return startPosition.minimalCompletionStage();
  }

  @Override
  public long lastSequence() {
    synchronized (lock) {
      return lastSequence;
    }
  }

  @Override
  public int reconnects() {
    synchronized (lock) {
      return reconnects;
    }
  }

  @Override
  public boolean isActive() {
    synchronized (lock) {
      return !done;
    }
  }

  private void connect() {
    if (validateRequests) {
      // A bad request (such as an empty user id) ends the watch as the server's answer would, without a call;
      // on the scheduler, so that the sink never hears of it before watchActivity has returned its handle.
      Optional<InvalidArgumentException> invalid = LocalValidation.check(
          WatchRequest.newBuilder().setUserId(userId).setResumeAfter(lastSequence()).build());
      if (invalid.isPresent()) {
        synchronized (lock) {
          if (done) {
            return;
          }
          done = true;
        }
        startPosition.completeExceptionally(invalid.get());
        scheduler.execute(() -> sink.onError(invalid.get()));
        return;
      }
    }
    ClientCall<WatchRequest, ActivityEvent> next = channel.newCall(UserServiceGrpc.getWatchUserActivityMethod(),
        options);
    long resumeAfter;
    synchronized (lock) {
      if (done) {
        return;
      }
      call = next;
      requested = 0;
      resumeAfter = lastSequence;
    }
    next.start(new StreamListener(next), new Metadata());
    next.sendMessage(WatchRequest.newBuilder().setUserId(userId).setResumeAfter(resumeAfter).build());
    next.halfClose();
    synchronized (lock) {
      if (call == next) {
        requestMore();
      }
    }
  }

  @GuardedBy("lock")
  private void requestMore() {
    if (call == null) {
      return;
    }
    long want = Math.min(demand, WINDOW) - requested;
    if (want > 0) {
      requested += want;
      call.request((int) want);
    }
  }

  private Duration backoff(int failures) {
    double bound = (double) initialBackoff.toNanos() * Math.pow(2, Math.min(failures - 1, 30));
    long nanos = (long) Math.min(bound, (double) maxBackoff.toNanos());
    // Jitter spreads the reconnects of many watchers after one server restart.
    return Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
  }

  /** Listens to one stream; ignores it once a newer stream replaced it. */
  private final class StreamListener extends ClientCall.Listener<ActivityEvent> {
    private final ClientCall<WatchRequest, ActivityEvent> stream;

    StreamListener(ClientCall<WatchRequest, ActivityEvent> stream) {
      this.stream = stream;
    }

    @Override
    public void onHeaders(Metadata headers) {
      String start = headers.get(RESUME_AFTER);
      if (start == null) {
        return;
      }
      long position;
      synchronized (lock) {
        if (call != stream) {
          return;
        }
        try {
          lastSequence = Math.max(lastSequence, Long.parseLong(start));
        } catch (NumberFormatException e) {
          // A server that sends garbage here just gives no early resume point.
          return;
        }
        position = lastSequence;
      }
      startPosition.complete(position);
    }

    @Override
    public void onMessage(ActivityEvent event) {
      long startedAfter;
      synchronized (lock) {
        if (call != stream || done) {
          return;
        }
        requested--;
        if (event.getSequence() <= lastSequence) {
          // Replayed after a reconnect, and delivered before it: exactly once means dropping it.
          requestMore();
          return;
        }
        startedAfter = lastSequence;
        lastSequence = event.getSequence();
        failuresInARow = 0;
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
      }
      // A server that announces no start position has started once it sends an event.
      startPosition.complete(startedAfter);
      sink.onEvent(event);
      synchronized (lock) {
        if (call == stream) {
          requestMore();
        }
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      boolean completed = false;
      UserServiceException failure = null;
      synchronized (lock) {
        if (call != stream || done) {
          return;
        }
        call = null;
        if (status.isOk()) {
          done = true;
          completed = true;
        } else if (TRANSIENT.contains(status.getCode())) {
          failuresInARow++;
          reconnects++;
          Duration delay = backoff(failuresInARow);
          pendingReconnect = scheduler.schedule(ResumableWatch.this::connect, delay.toNanos(),
              TimeUnit.NANOSECONDS);
        } else {
          done = true;
          failure = (UserServiceException) Exceptions.toClientException(status.asRuntimeException(trailers));
        }
      }
      if (completed) {
        startPosition.complete(lastSequence());
        sink.onCompleted();
      } else if (failure != null) {
        startPosition.completeExceptionally(failure);
        sink.onError(failure);
      }
    }
  }
}
