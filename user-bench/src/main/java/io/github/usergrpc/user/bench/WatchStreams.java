package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.github.usergrpc.user.v1.WatchRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Live watch streams (no resume point), opened with raw ClientCalls to see the response headers that mark a
 * started watch, that record the latency from an update's sending ({@link #sent}) to the watcher's receiving
 * its {@code user.updated}; with the helpers that create the users and send the updates. Used by the watch
 * and scale-out benchmarks.
 */
final class WatchStreams {

  /** Numbers every update, so that no update repeats a name: an update that changes nothing emits no event. */
  private static final AtomicLong UPDATES = new AtomicLong();

  final List<ClientCall<WatchRequest, ActivityEvent>> calls = new ArrayList<>();
  final AtomicLong errors = new AtomicLong();
  final AtomicLong undelivered = new AtomicLong();
  final Map<String, AtomicLong> closeCodes = new ConcurrentHashMap<>();
  /**
   * The first streams the server ended: when (UTC, to match the servers' logs), whose, and the status with its
   * description (a reset stream, a deadline, an error of ours tell apart only there).
   */
  final List<String> firstCloses = Collections.synchronizedList(new ArrayList<>());
  /** UpdateUser calls of {@link #updateAndMeasure} that failed, by status code: their events may never come. */
  final Map<String, AtomicLong> failedUpdates = new ConcurrentHashMap<>();
  final java.util.Set<ClientCall<?, ?>> cancelled = ConcurrentHashMap.newKeySet();
  final AtomicLong startedCount = new AtomicLong();
  /**
   * Per user, over every phase (warm-ups included): updates sent, updates answered OK, and {@code user.updated}
   * events delivered to its watchers. What {@link #explainMissing} reads when events did not come.
   */
  private final Map<String, PerUser> perUser = new ConcurrentHashMap<>();
  final AtomicLong delivered = new AtomicLong();
  final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  volatile Histogram latency;
  /**
   * Each delivery recorded in {@link #latency}: when its update was sent and when it arrived ({@link
   * System#nanoTime}), to match the slowest against pauses.
   */
  private final List<long[]> deliveries = Collections.synchronizedList(new ArrayList<>());
  /** When each update was answered OK ({@link System#nanoTime}), by when it was sent. */
  private final Map<Long, Long> answeredAt = new ConcurrentHashMap<>();

  void open(ManagedChannel channel, String userId) {
    ClientCall<WatchRequest, ActivityEvent> call = channel.newCall(UserServiceGrpc.getWatchUserActivityMethod(),
        CallOptions.DEFAULT);
    calls.add(call);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onHeaders(Metadata headers) {
        startedCount.incrementAndGet();
      }

      @Override
      public void onMessage(ActivityEvent event) {
        long now = System.nanoTime();
        call.request(1);
        Long sent = sentAt.get(event.getUserId());
        Histogram histogram = latency;
        if (sent != null && histogram != null && event.getAction().equals("user.updated")) {
          synchronized (histogram) {
            histogram.recordValue(Math.min(now - sent, histogram.getHighestTrackableValue()));
          }
          deliveries.add(new long[] {sent, now});
          delivered.incrementAndGet();
        }
        if (event.getAction().equals("user.updated")) {
          perUser(event.getUserId()).delivered.incrementAndGet();
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!cancelled.contains(call)) {
          errors.incrementAndGet();
          closeCodes.computeIfAbsent(status.getCode().name(), k -> new AtomicLong()).incrementAndGet();
          if (firstCloses.size() < 10) {
            firstCloses.add(Instant.now() + " user " + userId + ": " + status.getCode()
                + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")")
                + (status.getCause() == null ? "" : " caused by " + status.getCause()));
          }
        }
      }
    }, new Metadata());
    call.sendMessage(WatchRequest.newBuilder().setUserId(userId).build());
    call.halfClose();
    call.request(1);
  }

  long started() {
    return startedCount.get();
  }

  void awaitStarted(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (startedCount.get() < calls.size() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    if (startedCount.get() < calls.size()) {
      throw new IllegalStateException("only " + startedCount.get() + " of " + calls.size() + " watches started");
    }
  }

  void expect(Histogram histogram) {
    delivered.set(0);
    deliveries.clear();
    answeredAt.clear();
    latency = histogram;
  }

  /** Returns the deliveries recorded since {@link #expect}: when each update was sent and when it arrived. */
  List<long[]> deliveries() {
    synchronized (deliveries) {
      return new ArrayList<>(deliveries);
    }
  }

  /** Returns the slowest 1 % of {@code deliveries} (at least one; none of none), slowest first. */
  static List<long[]> slowestPercent(List<long[]> deliveries) {
    List<long[]> slowest = new ArrayList<>(deliveries);
    slowest.sort((a, b) -> Long.compare(b[1] - b[0], a[1] - a[0]));
    return slowest.subList(0, Math.min(slowest.size(), Math.max(1, slowest.size() / 100)));
  }

  /** Notes an update of {@code userId} sent now; returns when ({@link System#nanoTime}). */
  long sent(String userId) {
    long now = System.nanoTime();
    sentAt.put(userId, now);
    perUser(userId).sent.incrementAndGet();
    return now;
  }

  /**
   * Splits the slowest 1 % of the deliveries recorded since {@link #expect} at their update's answer: how long
   * the UpdateUser call took (the write path: the commit, and on JetStream the publish), and how long after
   * the answer the event reached the watcher (the delivery path). A stall in one shows in its column.
   */
  String slowestSplit() {
    List<long[]> recorded = deliveries();
    if (recorded.isEmpty()) {
      return "no deliveries";
    }
    List<long[]> slowest = slowestPercent(recorded);
    List<Double> answered = new ArrayList<>();
    List<Double> afterAnswer = new ArrayList<>();
    for (long[] delivery : slowest) {
      Long answer = answeredAt.get(delivery[0]);
      if (answer != null) {
        answered.add((answer - delivery[0]) / 1e6);
        afterAnswer.add((delivery[1] - answer) / 1e6);
      }
    }
    long[] fastestOfSlow = slowest.get(slowest.size() - 1);
    return String.format(Locale.ROOT, "slowest %d deliveries (>= %.1f ms): UpdateUser answered after %s ms;"
        + " the event came %s ms after the answer (median, min–max; %d answered OK)", slowest.size(),
        (fastestOfSlow[1] - fastestOfSlow[0]) / 1e6, answered.isEmpty() ? "–" : Stats.spread(answered, "%.1f"),
        afterAnswer.isEmpty() ? "–" : Stats.spread(afterAnswer, "%.1f"), answered.size());
  }

  private PerUser perUser(String userId) {
    return perUser.computeIfAbsent(userId, id -> new PerUser());
  }

  /** One user's updates and deliveries over the whole run. */
  private static final class PerUser {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong answeredOk = new AtomicLong();
    final Map<String, AtomicLong> failed = new ConcurrentHashMap<>();
    final AtomicLong delivered = new AtomicLong();

    long missing() {
      return sent.get() - delivered.get();
    }
  }

  /**
   * Says what became of the {@code user.updated} events that did not reach their watcher: for users with one
   * watcher each (the scale-out bench), waits up to {@code lateWait} for late ones, then, for at most
   * {@code maxUsers} users still missing events, how their updates were answered, and how many
   * {@code user.updated} events each replica replays for them from the store ({@code resume_after} 1). So a
   * missing event reads as a failed update (nothing to deliver), as stored but not delivered live (a delivery
   * bug), or as acknowledged but not stored (a write-path bug).
   *
   * @return one line per user, after a summary line
   */
  String explainMissing(List<ManagedChannel> replicas, Duration lateWait, int maxUsers)
      throws InterruptedException {
    long deadline = System.nanoTime() + lateWait.toNanos();
    long missingAtStart = missingTotal();
    while (missingTotal() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    long stillMissing = missingTotal();
    StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
        "missing user.updated events: %d when measured, %d after %d s more%n", missingAtStart, stillMissing,
        lateWait.toSeconds()));
    List<String> users = perUser.entrySet().stream().filter(e -> e.getValue().missing() > 0).map(Map.Entry::getKey)
        .sorted().limit(maxUsers).toList();
    Map<String, List<AtomicLong>> replayed = new LinkedHashMap<>();
    CountDownLatch replays = new CountDownLatch(users.size() * replicas.size());
    for (String userId : users) {
      List<AtomicLong> counts = new ArrayList<>();
      replayed.put(userId, counts);
      for (ManagedChannel replica : replicas) {
        AtomicLong count = new AtomicLong();
        counts.add(count);
        UserServiceGrpc.newStub(replica).withDeadlineAfter(5, TimeUnit.SECONDS).watchUserActivity(
            WatchRequest.newBuilder().setUserId(userId).setResumeAfter(1).build(), new StreamObserver<>() {
              @Override
              public void onNext(ActivityEvent event) {
                if (event.getAction().equals("user.updated")) {
                  count.incrementAndGet();
                }
              }

              @Override
              public void onError(Throwable t) {
                if (Status.fromThrowable(t).getCode() != Status.Code.DEADLINE_EXCEEDED) {
                  count.set(-1);
                }
                replays.countDown();
              }

              @Override
              public void onCompleted() {
                replays.countDown();
              }
            });
      }
    }
    replays.await(30, TimeUnit.SECONDS);
    replayed.forEach((userId, counts) -> {
      PerUser user = perUser.get(userId);
      report.append(String.format(Locale.ROOT, "  user %s: updates sent %d, answered OK %d, failed %s;"
          + " delivered live %d; replayed by each replica (-1: the replay failed) %s%n", userId, user.sent.get(),
          user.answeredOk.get(), user.failed, user.delivered.get(), counts));
    });
    return report.toString();
  }

  private long missingTotal() {
    return perUser.values().stream().mapToLong(user -> Math.max(0, user.missing())).sum();
  }

  void awaitDelivered(int updates, Duration timeout) throws InterruptedException {
    long perUpdate = calls.stream().filter(c -> true).count();
    long deadline = System.nanoTime() + timeout.toNanos();
    // Each update reaches every watcher of its user.
    long expected = sentAt.size() == 1 ? (long) updates * perUpdate : updates;
    while (delivered.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (delivered.get() < expected) {
      undelivered.addAndGet(expected - delivered.get());
    }
  }

  /** Cancels the streams from {@code index} on. */
  void cancelFrom(int index) {
    for (int i = index; i < calls.size(); i++) {
      cancelled.add(calls.get(i));
      calls.get(i).cancel("benchmark phase over", null);
    }
    calls.subList(index, calls.size()).clear();
  }

  /** Creates {@code count} users over the connections, 64 at a time; returns them in order. */
  static List<UserResponse> createUsers(List<ManagedChannel> connections, int count)
      throws InterruptedException {
    UserResponse[] users = new UserResponse[count];
    Semaphore inFlight = new Semaphore(64);
    CountDownLatch done = new CountDownLatch(count);
    String prefix = "watch-" + System.nanoTime();
    for (int i = 0; i < count; i++) {
      int index = i;
      inFlight.acquire();
      UserServiceGrpc.newStub(connections.get(i % connections.size())).createUser(CreateUserRequest.newBuilder()
          .setEmail(prefix + "-" + i + "@example.com").setName("Watched User " + i).setRole("viewer").build(),
          new StreamObserver<>() {
            @Override
            public void onNext(UserResponse user) {
              users[index] = user;
            }

            @Override
            public void onError(Throwable t) {
              inFlight.release();
              done.countDown();
            }

            @Override
            public void onCompleted() {
              inFlight.release();
              done.countDown();
            }
          });
    }
    done.await(300, TimeUnit.SECONDS);
    List<UserResponse> list = List.of(users);
    return list;
  }

  /**
   * Updates the users round-robin at {@code perSecond}, never one user twice while its last update's events
   * are outstanding, and records when each watcher of the user sees the user.updated event. Update {@code i}
   * (of user {@code i % users.size()}) goes through {@code channelFor.apply(i)}.
   */
  static Histogram updateAndMeasure(IntFunction<ManagedChannel> channelFor, List<UserResponse> users,
      WatchStreams watchers, int count, int perSecond) throws InterruptedException {
    Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    watchers.expect(latency);
    long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      UserResponse user = users.get(i % users.size());
      long sent = watchers.sent(user.getId());
      UserServiceGrpc.newStub(channelFor.apply(i)).updateUser(UpdateUserRequest.newBuilder().setId(user.getId())
          .setName("Watched User " + user.getId().substring(0, 8) + " v" + UPDATES.incrementAndGet()).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(UserResponse value) {
              watchers.answeredAt.put(sent, System.nanoTime());
              watchers.perUser(user.getId()).answeredOk.incrementAndGet();
            }

            @Override
            public void onError(Throwable t) {
              watchers.errors.incrementAndGet();
              String code = Status.fromThrowable(t).getCode().name();
              watchers.failedUpdates.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
              watchers.perUser(user.getId()).failed.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
            }

            @Override
            public void onCompleted() {}
          });
    }
    watchers.awaitDelivered(count, Duration.ofSeconds(30));
    synchronized (latency) {
      return latency.copy();
    }
  }
}
