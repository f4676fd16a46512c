package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Feeds the watch streams of one server from the store's activity log.
 *
 * <p>One thread tails the log ({@link UserStore#activityAfter}) in sequence order, woken right after every
 * local commit and polled every {@code pollInterval} for commits of other server processes on the same
 * database, and hands each event to the watches of its user. Handing over never blocks: each watch has its
 * own bounded queue, so a slow watcher slows neither writers nor other watchers, and one that falls more
 * than {@code maxPendingPerWatch} events behind is ended with RESOURCE_EXHAUSTED (WATCH_TOO_SLOW).
 *
 * <p>A watch past {@code maxWatches} open streams on the server, or past {@code maxWatchesPerUser} on one
 * user, is refused with RESOURCE_EXHAUSTED (TOO_MANY_WATCHES): each open stream holds a queue and a
 * connection's flow-control window, so their number must be bounded.
 */
public final class ActivityFeed implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(ActivityFeed.class.getName());
  private static final int TAIL_BATCH = 1000;

  private final UserStore store;
  private final ScheduledExecutorService tailer;
  private final Duration pollInterval;
  private final int maxPendingPerWatch;
  private final int maxWatches;
  private final int maxWatchesPerUser;
  /** Read by the tailer without the lock; changed only under it. */
  private final Map<String, Set<Watch>> watchesByUser = new ConcurrentHashMap<>();
  private final Object registration = new Object();
  @GuardedBy("registration")
  private int watchCount;
  private final AtomicBoolean tailScheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile long cursor;
  private ScheduledFuture<?> poll;

  /**
   * Creates a feed; {@link #start()} begins tailing.
   *
   * @param store the store to tail
   * @param tailer a single-threaded executor the feed owns from now on
   * @param pollInterval how often to look for commits of other processes
   * @param maxPendingPerWatch how many events a watch may have queued before it is ended as too slow
   * @param maxWatches how many watches may be open at once
   * @param maxWatchesPerUser how many watches of one user may be open at once
   */
  public ActivityFeed(UserStore store, ScheduledExecutorService tailer, Duration pollInterval,
      int maxPendingPerWatch, int maxWatches, int maxWatchesPerUser) {
    this.store = requireNonNull(store, "store");
    this.tailer = requireNonNull(tailer, "tailer");
    this.pollInterval = requireNonNull(pollInterval, "pollInterval");
    this.maxPendingPerWatch = maxPendingPerWatch;
    this.maxWatches = maxWatches;
    this.maxWatchesPerUser = maxWatchesPerUser;
  }

  /** Starts tailing after the newest event in the store. */
  public void start() {
    cursor = store.lastSequence();
    store.addCommitListener(this::wake);
    long nanos = pollInterval.toNanos();
    poll = tailer.scheduleWithFixedDelay(this::tail, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /** Returns the number of open watch streams. */
  public int activeWatches() {
    synchronized (registration) {
      return watchCount;
    }
  }

  /**
   * Starts a watch stream: replays the user's events after {@code resumeAfter} (when it is positive), then
   * streams live events. Returns at once; the stream is driven by the tailer and by gRPC's readiness. Ends
   * the stream at once with TOO_MANY_WATCHES when a limit is reached.
   *
   * @param userId the user to watch
   * @param resumeAfter the last sequence the watcher saw, or 0 for live events only
   * @param observer the stream
   */
  void watch(String userId, long resumeAfter, ServerCallStreamObserver<ActivityEvent> observer) {
    Watch watch = new Watch(this, store, userId, resumeAfter, maxPendingPerWatch, observer);
    // Register before replaying, so that nothing committed from now on can be missed.
    StatusRuntimeException refused = register(watch);
    if (refused != null) {
      observer.onError(refused);
      return;
    }
    observer.setOnCancelHandler(watch::cancel);
    observer.setOnReadyHandler(watch::pump);
    if (closed.get()) {
      watch.end(ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
          "the server is shutting down; reconnect with resume_after", Map.of()));
      return;
    }
    watch.pump();
  }

  /** Registers a watch unless a limit is reached; returns the error to end it with then. */
  @Nullable
  private StatusRuntimeException register(Watch watch) {
    synchronized (registration) {
      if (watchCount >= maxWatches) {
        return ErrorMapper.error(ErrorReason.TOO_MANY_WATCHES, "this server has the most watch streams it"
            + " allows open (" + maxWatches + "); retry later, or on another server",
            Map.of("max_watches", Integer.toString(maxWatches), "per", "server"));
      }
      Set<Watch> watches = watchesByUser.get(watch.userId());
      if (watches != null && watches.size() >= maxWatchesPerUser) {
        return ErrorMapper.error(ErrorReason.TOO_MANY_WATCHES, "user " + watch.userId()
            + " has the most watch streams this server allows for one user open (" + maxWatchesPerUser
            + "); close one or retry later",
            Map.of("max_watches", Integer.toString(maxWatchesPerUser), "per", "user", "user_id", watch.userId()));
      }
      watchesByUser.computeIfAbsent(watch.userId(), id -> ConcurrentHashMap.newKeySet()).add(watch);
      watchCount++;
      return null;
    }
  }

  /** Unregisters a watch; does nothing if it is not registered (any more). */
  void remove(Watch watch) {
    synchronized (registration) {
      Set<Watch> watches = watchesByUser.get(watch.userId());
      if (watches != null && watches.remove(watch)) {
        watchCount--;
        if (watches.isEmpty()) {
          watchesByUser.remove(watch.userId());
        }
      }
    }
  }

  /** Ends every watch with UNAVAILABLE (SERVER_SHUTTING_DOWN) and stops tailing. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (poll != null) {
      poll.cancel(false);
    }
    tailer.shutdown();
    List<Watch> open = new ArrayList<>();
    synchronized (registration) {
      watchesByUser.values().forEach(open::addAll);
    }
    // Each end() unregisters its watch.
    for (Watch watch : open) {
      watch.end(ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
          "the server is shutting down; reconnect with resume_after", Map.of()));
    }
  }

  private void wake() {
    if (tailScheduled.compareAndSet(false, true)) {
      try {
        tailer.execute(this::tail);
      } catch (RejectedExecutionException shuttingDown) {
        tailScheduled.set(false);
      }
    }
  }

  private void tail() {
    tailScheduled.set(false);
    try {
      List<ActivityRecord> batch;
      do {
        batch = store.activityAfter(cursor, TAIL_BATCH);
        for (ActivityRecord event : batch) {
          Set<Watch> watches = watchesByUser.get(event.userId());
          if (watches != null) {
            for (Watch watch : watches) {
              watch.offer(event);
            }
          }
          cursor = event.sequence();
        }
      } while (batch.size() == TAIL_BATCH && !closed.get());
    } catch (StoreException e) {
      // The next poll retries from the same cursor: nothing is skipped.
      logger.log(Level.FINE, "cannot read the activity log yet", e);
    } catch (RuntimeException e) {
      logger.log(Level.SEVERE, "unexpected failure while reading the activity log", e);
    }
  }
}
