package io.github.usergrpc.user.testkit;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import javax.annotation.Nullable;

/**
 * The calls a fake received, in order of arrival, and what became of them. Thread-safe; readers get
 * {@link RecordedCall} snapshots and can wait for a change.
 */
final class CallLog {

  private final Object lock = new Object();
  @GuardedBy("lock")
  private final List<Entry> entries = new ArrayList<>();

  /**
   * Adds a call whose request has arrived.
   *
   * @return the entry, to report how the call ends
   */
  Entry add(String fullMethodName, String methodName, Object request, Metadata headers,
      @Nullable Duration timeout) {
    Entry entry = new Entry(fullMethodName, methodName, request, headers, timeout);
    synchronized (lock) {
      entries.add(entry);
      lock.notifyAll();
    }
    return entry;
  }

  /** Forgets every call; entries of calls still running are no longer listed. */
  void clear() {
    synchronized (lock) {
      entries.clear();
      lock.notifyAll();
    }
  }

  /**
   * Returns the calls of one method, or of all methods, in order of arrival.
   *
   * @param fullMethodName the method, or null for all
   */
  List<RecordedCall<?>> snapshot(@Nullable String fullMethodName) {
    synchronized (lock) {
      return snapshotLocked(fullMethodName);
    }
  }

  /**
   * Waits until the calls of a method satisfy {@code condition}.
   *
   * @return the calls that satisfied it, or empty when {@code timeout} passed first
   */
  @Nullable
  List<RecordedCall<?>> await(@Nullable String fullMethodName, Predicate<List<RecordedCall<?>>> condition,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        List<RecordedCall<?>> calls = snapshotLocked(fullMethodName);
        if (condition.test(calls)) {
          return calls;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  // Every entry is an inner instance of this log (only add() makes one), so this.lock is the lock that guards it;
  // Error Prone cannot see that an entry's enclosing instance is this one.
  @SuppressWarnings("GuardedBy")
  @GuardedBy("lock")
  private List<RecordedCall<?>> snapshotLocked(@Nullable String fullMethodName) {
    List<RecordedCall<?>> calls = new ArrayList<>();
    for (Entry entry : entries) {
      if (fullMethodName == null || entry.fullMethodName.equals(fullMethodName)) {
        calls.add(entry.snapshot());
      }
    }
    return List.copyOf(calls);
  }

  /** One call; what is not final changes under the log's lock. */
  final class Entry {
    private final String fullMethodName;
    private final String methodName;
    private final Object request;
    private final Metadata headers;
    @Nullable
    private final Duration timeout;
    @GuardedBy("lock")
    private boolean cancelled;
    @GuardedBy("lock")
    @Nullable
    private Status status;

    private Entry(String fullMethodName, String methodName, Object request, Metadata headers,
        @Nullable Duration timeout) {
      this.fullMethodName = fullMethodName;
      this.methodName = methodName;
      this.request = request;
      this.headers = headers;
      this.timeout = timeout;
    }

    /** Notes that the server saw the call cancelled. */
    void cancelled() {
      synchronized (lock) {
        cancelled = true;
        lock.notifyAll();
      }
    }

    /** Notes the status the server closed the call with; the first one counts. */
    void closed(Status closedWith) {
      synchronized (lock) {
        if (status == null) {
          status = closedWith;
          lock.notifyAll();
        }
      }
    }

    @GuardedBy("lock")
    private RecordedCall<?> snapshot() {
      return new RecordedCall<>(methodName, request, headers, timeout, cancelled, status);
    }
  }
}
