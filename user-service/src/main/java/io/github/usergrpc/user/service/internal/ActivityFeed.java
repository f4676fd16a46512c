package io.github.usergrpc.user.service.internal;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.LiveActivity;
import io.github.usergrpc.user.service.store.RemoteCommitListener;
import io.github.usergrpc.user.service.store.ResumePointExpiredException;
import io.github.usergrpc.user.service.store.StoreException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Feeds the watch streams of one server from the store's activity log.
 *
 * <p>Sequences are per user, so the feed follows each watched user on its own: for every user with an open
 * watch it keeps how far it has read that user's events (a cursor), and one thread reads the user's events
 * after it ({@link UserStore#userActivityAfter}) in sequence order and hands them to the user's watches. It
 * reads a user right after a local commit of an event of that user, and every {@code pollInterval} it asks
 * the store for the heads of all watched users in one query ({@link UserStore#lastSequences}) and reads the
 * users whose head moved: commits of other server processes on the same database. A store that is told of
 * those commits ({@link UserStore#addRemoteCommitListener}: PostgreSQL's LISTEN/NOTIFY) makes the feed read
 * their users at once, as after a local commit; the poll stays as the backstop for wake-ups that never came.
 * All reading is on the one thread, from each user's cursor, so a user read twice (woken and polled) delivers
 * nothing twice. Users nobody watches cost nothing. Handing over never blocks: each watch has its own bounded
 * queue, so a slow watcher slows neither writers nor other watchers, and one that falls more than
 * {@code maxPendingPerWatch} events behind is ended with RESOURCE_EXHAUSTED (WATCH_TOO_SLOW).
 *
 * <p>A store whose log hands out new events itself ({@link UserStore#liveActivity()}, the JetStream log) is
 * not polled: the first watch of a user subscribes to the user's events after its head, the subscription
 * hands them to the user's watches, and the last watch to end closes it.
 *
 * <p>A watch past {@code maxWatches} open streams on the server, or past {@code maxWatchesPerUser} on one
 * user, is refused with RESOURCE_EXHAUSTED (TOO_MANY_WATCHES): each open stream holds a queue and a
 * connection's flow-control window, so their number must be bounded.
 */
public final class ActivityFeed implements AutoCloseable {

  /**
   * The least {@code maxPendingPerWatch}: a watch that replays from the store fetches more only while its
   * queue holds less than half of it, so half of it must be at least one event.
   */
  public static final int MIN_PENDING_PER_WATCH = 2;

  private static final Logger logger = Logger.getLogger(ActivityFeed.class.getName());
  private static final int TAIL_BATCH = 1000;
  /**
   * How soon the feed polls again after the store failed a read it was woken for, when its poll interval is
   * longer: a wake-up that came (a local commit, a notification, a listener back after an outage) must not wait
   * for the next poll because a pooled connection had broken meanwhile.
   */
  private static final Duration RETRY = Duration.ofMillis(200);

  private final UserStore store;
  /** The store's live delivery, if it has one: watched users are then subscribed to instead of polled. */
  @Nullable private final LiveActivity live;
  private final ScheduledExecutorService tailer;
  private final Duration pollInterval;
  private final int maxPendingPerWatch;
  private final int maxWatches;
  private final int maxWatchesPerUser;
  /** Read by the tailer without the lock; changed only under it. */
  private final Map<String, WatchedUser> watchedUsers = new ConcurrentHashMap<>();
  /** Users with a commit the tailer has not read yet: a local one, or one another process told of. */
  private final Set<String> committed = ConcurrentHashMap.newKeySet();
  private final Object registration = new Object();
  @GuardedBy("registration")
  private int watchCount;
  private final AtomicBoolean tailScheduled = new AtomicBoolean();
  private final AtomicBoolean pollScheduled = new AtomicBoolean();
  private final AtomicBoolean retryScheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
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
    this.live = store.liveActivity().orElse(null);
    this.tailer = requireNonNull(tailer, "tailer");
    this.pollInterval = requireNonNull(pollInterval, "pollInterval");
    this.maxPendingPerWatch = checkMaxPendingPerWatch(maxPendingPerWatch);
    this.maxWatches = maxWatches;
    this.maxWatchesPerUser = maxWatchesPerUser;
  }

  /**
   * Checks a setting of how many events a watch may have queued, for every builder that takes one, so that
   * they accept the same values and say the same when they refuse one.
   *
   * @param maxPending the setting
   * @return {@code maxPending}
   * @throws IllegalArgumentException if it is below {@link #MIN_PENDING_PER_WATCH}
   */
  public static int checkMaxPendingPerWatch(int maxPending) {
    if (maxPending < MIN_PENDING_PER_WATCH) {
      throw new IllegalArgumentException(
          "maxPending: " + maxPending + " (expected: >= " + MIN_PENDING_PER_WATCH + ")");
    }
    return maxPending;
  }

  /**
   * Starts following the store: local commits, the commits of other processes the store is told of and,
   * every poll interval, the heads of watched users; for a store with live delivery, nothing (each watched user
   * is subscribed to when its first watch begins).
   */
  public void start() {
    if (live != null) {
      return;
    }
    store.addCommitListener(this::onCommit);
    store.addRemoteCommitListener(new RemoteCommitListener() {
      @Override
      public void onCommitted(Set<String> userIds) {
        onRemoteCommit(userIds);
      }

      @Override
      public void onAnyCommitted() {
        pollNow();
      }
    });
    long nanos = pollInterval.toNanos();
    poll = tailer.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
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
      WatchedUser watched = watchedUsers.get(watch.userId());
      if (watched != null && watched.watches.size() >= maxWatchesPerUser) {
        return ErrorMapper.error(ErrorReason.TOO_MANY_WATCHES, "user " + watch.userId()
            + " has the most watch streams this server allows for one user open (" + maxWatchesPerUser
            + "); close one or retry later",
            Map.of("max_watches", Integer.toString(maxWatchesPerUser), "per", "user", "user_id", watch.userId()));
      }
      watchedUsers.computeIfAbsent(watch.userId(), WatchedUser::new).watches.add(watch);
      watchCount++;
      return null;
    }
  }

  /** Unregisters a watch; does nothing if it is not registered (any more). */
  void remove(Watch watch) {
    WatchedUser unwatched = null;
    synchronized (registration) {
      WatchedUser watched = watchedUsers.get(watch.userId());
      if (watched != null && watched.watches.remove(watch)) {
        watchCount--;
        if (watched.watches.isEmpty()) {
          watchedUsers.remove(watch.userId());
          unwatched = watched;
        }
      }
    }
    if (unwatched != null) {
      unwatched.unsubscribe();
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
      watchedUsers.values().forEach(watched -> open.addAll(watched.watches));
    }
    // Each end() unregisters its watch.
    for (Watch watch : open) {
      watch.end(ErrorMapper.error(ErrorReason.SERVER_SHUTTING_DOWN,
          "the server is shutting down; reconnect with resume_after", Map.of()));
    }
  }

  /**
   * Makes sure the feed reads the user's events after {@code head} at the latest. A watch calls it after it
   * registered and before it fixes its own start: the first watch of a user sets where the feed starts
   * reading that user; events committed between the registration and {@code head} are at or below the
   * watch's start, or replayed by it.
   *
   * <p>With live delivery, the first watch subscribes to the user's events after {@code head}.
   *
   * @param userId a user with a registered watch
   * @param head the user's head ({@link UserStore#lastSequence(String)}), read after the registration
   * @throws io.github.usergrpc.user.service.store.StoreUnavailableException if the subscription cannot be
   *     made (live delivery only); the next watch of the user tries again
   */
  void follow(String userId, long head) {
    WatchedUser watched = watchedUsers.get(userId);
    if (watched == null) {
      return;
    }
    if (live == null) {
      watched.cursor.compareAndSet(WatchedUser.UNKNOWN, head);
      return;
    }
    watched.subscribe(live, head, new LiveActivity.Listener() {
      @Override
      public void onEvent(ActivityRecord event) {
        deliver(watched, event);
      }

      @Override
      public void onExpired(ResumePointExpiredException expired) {
        endAll(watched, expired);
      }
    });
  }

  /** Hands a live event to the user's watches; the subscription calls it in sequence order. */
  private static void deliver(WatchedUser watched, ActivityRecord event) {
    if (event.sequence() <= watched.cursor.get()) {
      return;
    }
    for (Watch watch : watched.watches) {
      watch.offer(event);
    }
    watched.cursor.set(event.sequence());
  }

  /** Ends the user's watches: events they have not received are gone. */
  private static void endAll(WatchedUser watched, ResumePointExpiredException expired) {
    for (Watch watch : List.copyOf(watched.watches)) {
      watch.end(ErrorMapper.toStatusException(expired));
    }
  }

  private void onCommit(ActivityRecord event) {
    WatchedUser watched = watchedUsers.get(event.userId());
    if (watched != null && event.sequence() > watched.cursor.get()) {
      committed.add(event.userId());
      wake();
    }
  }

  /** Reads at once the watched ones of the users another process committed events of. */
  private void onRemoteCommit(Set<String> userIds) {
    boolean watched = false;
    for (String userId : userIds) {
      if (watchedUsers.containsKey(userId)) {
        committed.add(userId);
        watched = true;
      }
    }
    if (watched) {
      wake();
    }
  }

  /** Polls now, besides the polls every interval: commits of any user may have gone untold. */
  private void pollNow() {
    if (pollScheduled.compareAndSet(false, true)) {
      try {
        tailer.execute(() -> {
          pollScheduled.set(false);
          retryUnless(poll());
        });
      } catch (RejectedExecutionException shuttingDown) {
        pollScheduled.set(false);
      }
    }
  }

  private void wake() {
    if (tailScheduled.compareAndSet(false, true)) {
      try {
        tailer.execute(() -> retryUnless(readCommitted()));
      } catch (RejectedExecutionException shuttingDown) {
        tailScheduled.set(false);
      }
    }
  }

  /**
   * Polls soon unless {@code complete}: a read the feed was woken for failed, and the next poll is further
   * away than {@link #RETRY}. A user read again is read from its cursor, so nothing is delivered twice.
   */
  private void retryUnless(boolean complete) {
    if (complete || pollInterval.compareTo(RETRY) <= 0 || closed.get()
        || !retryScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      // Nothing waits for the retry's future: poll() logs the store's failures itself and says so in its result.
      var unused = tailer.schedule(() -> {
        retryScheduled.set(false);
        retryUnless(poll());
      }, RETRY.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shuttingDown) {
      retryScheduled.set(false);
    }
  }

  /** Reads the users with a commit not read yet; returns false if the store failed a read. */
  private boolean readCommitted() {
    tailScheduled.set(false);
    boolean complete = true;
    for (Iterator<String> users = committed.iterator(); users.hasNext(); ) {
      String userId = users.next();
      users.remove();
      WatchedUser watched = watchedUsers.get(userId);
      if (watched != null) {
        complete &= read(watched, 0);
      }
    }
    return complete;
  }

  /**
   * Reads the users whose head moved: commits of other processes, and local ones not read yet. Returns false if
   * the store failed a read.
   */
  private boolean poll() {
    boolean complete = readCommitted();
    List<WatchedUser> followed = new ArrayList<>();
    for (WatchedUser watched : watchedUsers.values()) {
      if (watched.cursor.get() != WatchedUser.UNKNOWN) {
        followed.add(watched);
      }
    }
    if (followed.isEmpty()) {
      return complete;
    }
    Map<String, Long> heads;
    try {
      heads = store.lastSequences(followed.stream().map(watched -> watched.userId).toList());
    } catch (StoreException e) {
      logger.log(Level.FINE, "cannot read the heads of watched users yet", e);
      return false;
    } catch (RuntimeException e) {
      logger.log(Level.SEVERE, "unexpected failure while reading the heads of watched users", e);
      return complete;
    }
    for (WatchedUser watched : followed) {
      long head = heads.getOrDefault(watched.userId, 0L);
      if (head > watched.cursor.get() && !closed.get()) {
        complete &= read(watched, head);
      }
    }
    return complete;
  }

  /**
   * Reads the user's events after its cursor and hands them to its watches. {@code head}, when positive, is
   * a head read before: every event up to it was committed, so once the read is complete the cursor may
   * move up to it even when no event of this user has a sequence that high (a store that numbers all users
   * from one counter reports such heads). Returns false if the store failed the read.
   */
  private boolean read(WatchedUser watched, long head) {
    try {
      List<ActivityRecord> batch;
      do {
        long cursor = watched.cursor.get();
        if (cursor == WatchedUser.UNKNOWN) {
          return true;
        }
        batch = store.userActivityAfter(watched.userId, cursor, TAIL_BATCH);
        for (ActivityRecord event : batch) {
          for (Watch watch : watched.watches) {
            watch.offer(event);
          }
          watched.cursor.set(event.sequence());
        }
      } while (batch.size() == TAIL_BATCH && !closed.get());
      if (head > watched.cursor.get()) {
        watched.cursor.set(head);
      }
      return true;
    } catch (ResumePointExpiredException e) {
      // The retention deleted events this server had not read yet (it could not reach the store for
      // longer than the retention): its watches of the user cannot continue without a gap.
      endAll(watched, e);
      return true;
    } catch (StoreException e) {
      // The next poll retries from the same cursor: nothing is skipped.
      logger.log(Level.FINE, "cannot read the activity log yet", e);
      return false;
    } catch (RuntimeException e) {
      logger.log(Level.SEVERE, "unexpected failure while reading the activity log", e);
      return true;
    }
  }

  /**
   * A user with open watches on this server, and how far the feed has read its events. Only the tailer
   * thread moves the cursor, once the first watch has set it ({@link #follow}); with live delivery, only the
   * subscription's listener.
   */
  private static final class WatchedUser {
    static final long UNKNOWN = -1;

    final String userId;
    final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    final AtomicLong cursor = new AtomicLong(UNKNOWN);
    @GuardedBy("this")
    @Nullable
    private LiveActivity.Subscription subscription;
    /** No watch is left: a subscription made now would never be closed. */
    @GuardedBy("this")
    private boolean unwatched;

    WatchedUser(String userId) {
      this.userId = userId;
    }

    /** Subscribes to the user's events after {@code head}, unless subscribed already (or unwatched). */
    synchronized void subscribe(LiveActivity live, long head, LiveActivity.Listener listener) {
      if (subscription != null || unwatched) {
        return;
      }
      cursor.set(head);
      try {
        subscription = live.subscribe(userId, head, listener);
      } catch (RuntimeException e) {
        cursor.set(UNKNOWN);
        throw e;
      }
    }

    /** Closes the subscription, if any; the last watch of the user has ended. */
    void unsubscribe() {
      LiveActivity.Subscription current;
      synchronized (this) {
        unwatched = true;
        current = subscription;
        subscription = null;
      }
      if (current != null) {
        current.close(); // outside the lock: the listener may be running and end a watch
      }
    }
  }
}
