package io.github.usergrpc.user.server;

import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A watch of one user that, when its stream fails, reconnects to the next replica (skipping the one that
 * failed) with {@code resume_after} set to the last sequence it received: what a client does.
 */
final class ResumingWatcher implements StreamObserver<ActivityEvent> {
  final String userId;
  final long start;
  final AtomicInteger failures = new AtomicInteger();
  /** How the watch ended for good, if it did: it must not. */
  volatile Throwable fatal;
  private final List<Integer> startedOn = new ArrayList<>();
  private final IntFunction<ManagedChannel> channels;
  private final List<ActivityEvent> events = new ArrayList<>();
  volatile long end = Long.MAX_VALUE;
  volatile int replica;

  private ResumingWatcher(String userId, long start, int replica, IntFunction<ManagedChannel> channels) {
    this.userId = userId;
    this.start = start;
    this.replica = replica;
    this.channels = channels;
  }

  static ResumingWatcher open(String userId, long start, int replica, IntFunction<ManagedChannel> channels) {
    ResumingWatcher watcher = new ResumingWatcher(userId, start, replica, channels);
    watcher.connect();
    return watcher;
  }

  private void connect() {
    long resumeAfter = lastSequence();
    synchronized (events) {
      startedOn.add(replica);
    }
    UserServiceGrpc.newStub(channels.apply(replica)).watchUserActivity(WatchRequest.newBuilder()
        .setUserId(userId).setResumeAfter(resumeAfter).build(), this);
  }

  long lastSequence() {
    synchronized (events) {
      return events.isEmpty() ? start : events.get(events.size() - 1).getSequence();
    }
  }

  List<ActivityEvent> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** Returns the replicas this watch was opened on, in order. */
  List<Integer> startedOn() {
    synchronized (events) {
      return List.copyOf(startedOn);
    }
  }

  @Override
  public void onNext(ActivityEvent event) {
    synchronized (events) {
      events.add(event);
    }
  }

  @Override
  public void onError(Throwable t) {
    if (Status.fromThrowable(t).getCode() != Status.Code.UNAVAILABLE || failures.incrementAndGet() > 10) {
      fatal = t;
      return;
    }
    // Another replica: 0, or 1 after 0 (the tests kill replica 2).
    replica = replica == 0 ? 1 : 0;
    connect();
  }

  @Override
  public void onCompleted() {
    fatal = new IllegalStateException("the watch of " + userId + " completed");
  }
}
