package io.github.usergrpc.user.service.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.UserNotFoundException;
import io.github.usergrpc.user.service.store.UserStore;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.ErrorReason;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One WatchUserActivity stream.
 *
 * <p>Events reach it two ways: live from the {@link ActivityFeed} tailer ({@link #offer}), and, when the
 * watcher resumes, replayed from the store in batches ({@link #pump}, on gRPC's threads, never on the
 * tailer's). While replaying, live events wait in a side buffer; once the replay has caught up, the side
 * buffer is merged in. Every event is queued at most once and in sequence order, because both sources
 * deliver the user's events in sequence order and anything at or below the last queued sequence is dropped.
 *
 * <p>Only as many events are sent as gRPC's flow control accepts ({@code isReady}); the rest wait in a
 * queue of at most {@code maxPending}. A watcher that lets it overflow is ended with WATCH_TOO_SLOW.
 */
final class Watch {

  private static final int REPLAY_BATCH = 256;

  private final ActivityFeed feed;
  private final UserStore store;
  private final String userId;
  private final int maxPending;
  private final ServerCallStreamObserver<ActivityEvent> observer;
  private final AtomicInteger pumpRequests = new AtomicInteger();
  private final Object lock = new Object();

  @GuardedBy("lock")
  private final ArrayDeque<ActivityRecord> pending = new ArrayDeque<>();
  @GuardedBy("lock")
  private final ArrayDeque<ActivityRecord> liveDuringReplay = new ArrayDeque<>();
  @GuardedBy("lock")
  private long lastQueued;
  @GuardedBy("lock")
  private boolean replaying;
  @GuardedBy("lock")
  private boolean started;
  @GuardedBy("lock")
  private boolean ended;

  Watch(ActivityFeed feed, UserStore store, String userId, long resumeAfter, int maxPending,
      ServerCallStreamObserver<ActivityEvent> observer) {
    this.feed = feed;
    this.store = store;
    this.userId = userId;
    this.maxPending = maxPending;
    this.observer = observer;
    this.lastQueued = resumeAfter;
    this.replaying = resumeAfter > 0;
  }

  String userId() {
    return userId;
  }

  /** Takes a live event from the tailer; never blocks on the store or the network. */
  void offer(ActivityRecord event) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      if (replaying) {
        liveDuringReplay.add(event);
        if (liveDuringReplay.size() > maxPending) {
          endTooSlow();
        }
        return;
      }
      enqueue(event);
      if (started) {
        send();
      }
    }
  }

  /**
   * Sends what flow control allows and, while replaying, reads the next batch from the store. Runs on
   * gRPC's threads (the handler, then every onReady); concurrent requests collapse into one loop.
   */
  void pump() {
    if (pumpRequests.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    try {
      do {
        while (pass()) {
          // Another batch fits.
        }
        missed = pumpRequests.addAndGet(-missed);
      } while (missed != 0);
    } catch (RuntimeException e) {
      pumpRequests.set(0);
      end(ErrorMapper.toStatusException(e));
    }
  }

  /** Stops the stream because the client cancelled it; frees what it held. */
  void cancel() {
    synchronized (lock) {
      ended = true;
      pending.clear();
      liveDuringReplay.clear();
    }
    feed.remove(this);
  }

  /** Ends the stream with an error, unless it ended already. */
  void end(StatusRuntimeException status) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      ended = true;
      pending.clear();
      liveDuringReplay.clear();
      observer.onError(status);
    }
    feed.remove(this);
  }

  /** Returns true when another replay batch should be read right away. */
  private boolean pass() {
    if (!isStarted() && !begin()) {
      return false;
    }
    long replayFrom;
    synchronized (lock) {
      if (ended) {
        return false;
      }
      send();
      if (!replaying || !observer.isReady() || pending.size() >= maxPending / 2) {
        return false;
      }
      replayFrom = lastQueued;
    }
    List<ActivityRecord> batch = store.userActivityAfter(userId, replayFrom, REPLAY_BATCH);
    synchronized (lock) {
      if (ended) {
        return false;
      }
      batch.forEach(this::enqueue);
      if (batch.size() < REPLAY_BATCH) {
        replaying = false;
        liveDuringReplay.forEach(this::enqueue);
        liveDuringReplay.clear();
      }
      send();
      return replaying && !ended;
    }
  }

  private boolean isStarted() {
    synchronized (lock) {
      return started;
    }
  }

  /**
   * Checks that there is something to watch and fixes where a live-only watch starts; nothing is sent
   * before. Returns false when the watch ended instead.
   */
  private boolean begin() {
    long resumeAfter;
    synchronized (lock) {
      if (ended) {
        return false;
      }
      resumeAfter = lastQueued;
    }
    if (!userExistsOrHasReplay(resumeAfter)) {
      end(ErrorMapper.toStatusException(new UserNotFoundException(userId)));
      return false;
    }
    // Read after the registration: the feed reads the user's events after it at the latest, and a live-only
    // watch starts after it, what was committed when it started (the feed may still be handing out older
    // events that it read before the watch registered).
    long head = store.lastSequence(userId);
    feed.follow(userId, head);
    long lastCommitted = resumeAfter == 0 ? head : 0;
    synchronized (lock) {
      pending.removeIf(event -> event.sequence() <= lastCommitted);
      lastQueued = Math.max(lastQueued, lastCommitted);
      started = true;
      WatchHeaders.sendStart(lastQueued);
    }
    return true;
  }

  private boolean userExistsOrHasReplay(long resumeAfter) {
    if (store.find(userId).isPresent()) {
      return true;
    }
    return resumeAfter > 0 && !store.userActivityAfter(userId, resumeAfter, 1).isEmpty();
  }

  @GuardedBy("lock")
  private void enqueue(ActivityRecord event) {
    if (event.sequence() <= lastQueued) {
      return;
    }
    lastQueued = event.sequence();
    pending.add(event);
    if (pending.size() > maxPending) {
      endTooSlow();
    }
  }

  @GuardedBy("lock")
  private void send() {
    while (!ended && !pending.isEmpty() && observer.isReady()) {
      ActivityRecord event = pending.poll();
      observer.onNext(Messages.toProto(event));
      if (event.action().equals(ActivityRecord.USER_DELETED)) {
        ended = true;
        pending.clear();
        liveDuringReplay.clear();
        observer.onCompleted();
        feed.remove(this);
      }
    }
  }

  @GuardedBy("lock")
  private void endTooSlow() {
    ended = true;
    pending.clear();
    liveDuringReplay.clear();
    observer.onError(ErrorMapper.error(ErrorReason.WATCH_TOO_SLOW,
        "the watcher fell more than " + maxPending + " events behind; reconnect with resume_after",
        Map.of("max_pending_events", Integer.toString(maxPending))));
    feed.remove(this);
  }
}
