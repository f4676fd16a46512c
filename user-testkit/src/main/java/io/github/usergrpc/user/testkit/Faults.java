package io.github.usergrpc.user.testkit;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;

/**
 * The faults scripted on a fake, per method (by full method name), and the calls they hold.
 *
 * <p>A held call occupies no thread: a frozen call sits in a list until {@link #unfreeze}, a delayed one is a
 * timer task. When either is released, it continues on a thread of the fake's own pool, never on the thread
 * that unfreezes or on the timer, so that nothing a released call does (the handler, and the client's
 * callbacks, which the in-process transport may run on the same thread) can block another release.
 * Thread-safe.
 */
final class Faults {

  /** A call that waits for a fault to let it go. */
  interface Held {
    /** Continues the call: its delay, then its failure or the real handler. */
    void resume();

    /** Ends the call with {@code failure} instead, because the fake is closing. */
    void abort(StatusRuntimeException failure);
  }

  /**
   * What happens to one call: it waits while frozen, then for {@code delay}, then fails with {@code failure}
   * or goes on to the handler.
   */
  record Plan(@Nullable StatusRuntimeException failure, Duration delay, boolean frozen) {
    boolean isNone() {
      return failure == null && delay.isZero() && !frozen;
    }
  }

  private final Object lock = new Object();
  @GuardedBy("lock")
  private final Map<String, ArrayDeque<StatusRuntimeException>> failures = new HashMap<>();
  @GuardedBy("lock")
  private final Map<String, Duration> delays = new HashMap<>();
  @GuardedBy("lock")
  private final Set<String> frozen = new HashSet<>();
  /** Frozen calls by method, in order of arrival. */
  @GuardedBy("lock")
  private final Map<String, List<Held>> waiting = new HashMap<>();
  /** Every held call: frozen or delayed. */
  @GuardedBy("lock")
  private final Set<Held> held = new LinkedHashSet<>();
  @GuardedBy("lock")
  private int dropWatchAfter;
  @GuardedBy("lock")
  @Nullable
  private ScheduledExecutorService timer;
  @GuardedBy("lock")
  @Nullable
  private ExecutorService releases;
  @GuardedBy("lock")
  private boolean closed;

  void failNext(String method, int times, StatusRuntimeException failure) {
    synchronized (lock) {
      ArrayDeque<StatusRuntimeException> queue = failures.computeIfAbsent(method, m -> new ArrayDeque<>());
      for (int i = 0; i < times; i++) {
        queue.add(failure);
      }
    }
  }

  void delay(String method, Duration delay) {
    synchronized (lock) {
      if (delay.isZero()) {
        delays.remove(method);
      } else {
        delays.put(method, delay);
      }
    }
  }

  void freeze(String method) {
    synchronized (lock) {
      frozen.add(method);
    }
  }

  void unfreeze(String method) {
    List<Held> released;
    synchronized (lock) {
      frozen.remove(method);
      released = waiting.remove(method);
    }
    if (released != null) {
      released.forEach(this::release);
    }
  }

  void dropWatchAfter(int events) {
    synchronized (lock) {
      dropWatchAfter = events;
    }
  }

  /** Returns after how many events a watch stream is dropped, or 0 when watches are not dropped. */
  int dropWatchAfter() {
    synchronized (lock) {
      return dropWatchAfter;
    }
  }

  /**
   * Returns the plan of a call that has just arrived, taking its failure (if one is queued) off the queue. A
   * call that must wait for {@link #unfreeze} is registered as waiting in the same step, so that an
   * unfreeze cannot slip in between.
   */
  Plan plan(String method, Held call) {
    synchronized (lock) {
      if (closed) {
        return new Plan(null, Duration.ZERO, false);
      }
      ArrayDeque<StatusRuntimeException> queue = failures.get(method);
      StatusRuntimeException failure = queue == null ? null : queue.poll();
      Duration delay = delays.getOrDefault(method, Duration.ZERO);
      boolean isFrozen = frozen.contains(method);
      Plan plan = new Plan(failure, delay, isFrozen);
      if (isFrozen) {
        waiting.computeIfAbsent(method, m -> new ArrayList<>()).add(call);
      }
      if (isFrozen || !delay.isZero()) {
        held.add(call);
      }
      return plan;
    }
  }

  /**
   * Runs {@code call}'s {@link Held#resume()} on the fake's pool after {@code delay}.
   *
   * @return the timer task, to cancel when the call is cancelled; null when the fake is closed
   */
  @Nullable
  Future<?> schedule(Held call, Duration delay) {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (timer == null) {
        timer = Executors.newSingleThreadScheduledExecutor(FakeUserService.daemon("user-testkit-delays"));
      }
      return timer.schedule(() -> release(call), delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Forgets a call that is no longer held: released, or cancelled while it waited. */
  void forget(Held call) {
    synchronized (lock) {
      held.remove(call);
      for (List<Held> calls : waiting.values()) {
        calls.remove(call);
      }
    }
  }

  /** Clears every fault and lets frozen calls go; calls already delayed keep their delay. */
  void reset() {
    List<Held> released = new ArrayList<>();
    synchronized (lock) {
      failures.clear();
      delays.clear();
      frozen.clear();
      dropWatchAfter = 0;
      waiting.values().forEach(released::addAll);
      waiting.clear();
    }
    released.forEach(this::release);
  }

  /** Ends every held call with {@code failure} and stops the fake's threads. */
  void close(StatusRuntimeException failure) {
    List<Held> aborted;
    synchronized (lock) {
      closed = true;
      aborted = new ArrayList<>(held);
      held.clear();
      waiting.clear();
      if (timer != null) {
        timer.shutdownNow();
      }
      if (releases != null) {
        releases.shutdown();
      }
    }
    for (Held call : aborted) {
      call.abort(failure);
    }
  }

  private void release(Held call) {
    ExecutorService pool;
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (releases == null) {
        releases = Executors.newCachedThreadPool(FakeUserService.daemon("user-testkit-released-call"));
      }
      pool = releases;
    }
    try {
      pool.execute(call::resume);
    } catch (RejectedExecutionException closing) {
      // close() aborts the call instead.
    }
  }
}
