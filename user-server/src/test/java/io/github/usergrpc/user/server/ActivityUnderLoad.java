package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivityLog;
import io.github.usergrpc.user.server.activity.jetstream.JetStreamActivitySettings;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Write and watch load on replicas whose activity is on JetStream, with a failure in the middle, and the check
 * that every watcher received every event of its user exactly once, in order (what the stream holds after its
 * start), and that no acknowledged RecordActivity is missing from the stream.
 *
 * <p>Every user is watched on each replica of {@code watchOn}, resuming after a first event. One writer per
 * replica makes {@code callsPerWriter} calls, UpdateUser and RecordActivity (with a request id, retried with
 * the same id while the stream is unavailable, as a client retries) on random users. When a third of the calls
 * are made, {@code failure} runs. A {@code victim} replica's calls may fail while it dies; its writer then
 * writes through replica 0. Bounded: every wait ends within {@link Await#BOUND} or the writers' bound.
 */
final class ActivityUnderLoad {

  /** How long a writer retries one RecordActivity while the stream is unavailable (an election, say). */
  private static final Duration RETRY_BOUND = Duration.ofSeconds(60);

  /** Something to do to the system under load. */
  @FunctionalInterface
  interface Failure {
    void inject() throws Exception;
  }

  /** What happened: the watchers, how many calls were made and how many RecordActivity calls retried. */
  record Outcome(List<ResumingWatcher> watchers, int calls, int acknowledged, int retries) {}

  private ActivityUnderLoad() {}

  /**
   * Runs the load and checks the watchers and the stream.
   *
   * @param victim the replica {@code failure} kills, or -1
   */
  static Outcome run(ServerReplicas replicas, JetStreamActivitySettings stream, int users, List<Integer> watchOn,
      int callsPerWriter, int victim, Failure failure) throws Exception {
    List<String> ids = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      int replica = u % replicas.size();
      String id = replicas.blocking(replica).createUser(CreateUserRequest.newBuilder()
          .setEmail("load-" + UUID.randomUUID() + "@example.com").setName("Shared " + u).build()).getId();
      ids.add(id);
      starts.add(replicas.blocking(replica).recordActivity(RecordActivityRequest.newBuilder().setUserId(id)
          .setAction("start").build()).getEvent().getSequence());
    }
    List<ResumingWatcher> watchers = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      for (int replica : watchOn) {
        watchers.add(ResumingWatcher.open(ids.get(u), starts.get(u), replica, replicas::channel));
      }
    }

    AtomicBoolean victimAlive = new AtomicBoolean(true);
    Map<Long, ActivityEvent> acknowledged = new ConcurrentHashMap<>();
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger retries = new AtomicInteger();
    ExecutorService writers = Executors.newFixedThreadPool(replicas.size());
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < replicas.size(); w++) {
      int home = w;
      Random random = new Random(w);
      done.add(writers.submit(() -> {
        for (int call = 0; call < callsPerWriter; call++) {
          String user = ids.get(random.nextInt(users));
          String tag = "w" + home + "-" + call;
          if (call % 2 == 0) {
            int replica = home == victim && !victimAlive.get() ? 0 : home;
            try {
              replicas.blocking(replica).updateUser(UpdateUserRequest.newBuilder().setId(user).setName(tag).build());
            } catch (StatusRuntimeException e) {
              // Only a call to a dying replica may fail; its outcome is unknown, as a client's is.
              assertThat(replica).as("replica of an UpdateUser that failed with " + e.getStatus()).isEqualTo(victim);
            }
          } else {
            RecordActivityRequest request = RecordActivityRequest.newBuilder().setUserId(user).setAction("tick")
                .setDetails(tag).setRequestId(UUID.randomUUID().toString()).build();
            long deadline = System.nanoTime() + RETRY_BOUND.toNanos();
            while (true) {
              int replica = home == victim && !victimAlive.get() ? 0 : home;
              try {
                ActivityEvent event = replicas.blocking(replica).recordActivity(request).getEvent();
                acknowledged.put(event.getSequence(), event);
                break;
              } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() - deadline > 0) {
                  throw new AssertionError("RecordActivity " + tag + " through replica " + replica, e);
                }
                retries.incrementAndGet();
                Thread.sleep(50);
              }
            }
          }
          calls.incrementAndGet();
        }
        return null;
      }));
    }
    try {
      Await.until("a third of the calls", () -> calls.get() >= replicas.size() * callsPerWriter / 3
          || done.stream().anyMatch(Future::isDone));
      if (victim >= 0) {
        victimAlive.set(false);
      }
      failure.inject();
      for (Future<?> writer : done) {
        writer.get(5, TimeUnit.MINUTES);
      }
    } finally {
      writers.shutdownNow();
    }

    // A last event per user through a replica that lives; every watcher must get everything up to it.
    int alive = victim == 0 ? 1 : 0;
    for (int u = 0; u < users; u++) {
      long end = replicas.blocking(alive).recordActivity(RecordActivityRequest.newBuilder().setUserId(ids.get(u))
          .setAction("end").build()).getEvent().getSequence();
      for (ResumingWatcher watcher : watchers) {
        if (watcher.userId.equals(ids.get(u))) {
          watcher.end = end;
        }
      }
    }
    try (JetStreamActivityLog log = JetStreamActivityLog.open(stream)) {
      for (ResumingWatcher watcher : watchers) {
        Await.until(() -> "the watcher of " + watcher.userId + " (on replica " + watcher.replica + ") to receive up"
            + " to " + watcher.end + "; it has " + watcher.lastSequence(),
            () -> watcher.lastSequence() >= watcher.end || watcher.fatal != null);
        assertThat(watcher.fatal).as("how the watch of " + watcher.userId + " ended").isNull();
        List<ActivityRecord> stored = storedAfter(log, watcher.userId, watcher.start);
        // Exactly once, in order: what the watcher received is what the stream holds for its user.
        assertThat(watcher.events()).extracting(ActivityEvent::getSequence, ActivityEvent::getAction,
                ActivityEvent::getDetails)
            .containsExactlyElementsOf(stored.stream()
                .map(event -> tuple(event.sequence(), event.action(), event.details())).toList());
      }
      for (ActivityEvent event : acknowledged.values()) {
        ActivityRecord stored = retrying(() -> log.event(event.getSequence()));
        assertThat(tuple(stored.userId(), stored.action(), stored.details(), stored.occurredAtMillis() / 1000))
            .as("acknowledged event %s", event.getSequence())
            .isEqualTo(tuple(event.getUserId(), event.getAction(), event.getDetails(), event.getTimestamp()));
      }
    }
    return new Outcome(watchers, calls.get(), acknowledged.size(), retries.get());
  }

  /** Returns what the stream holds for a user after {@code start}, asking again while it is unavailable. */
  private static List<ActivityRecord> storedAfter(JetStreamActivityLog log, String userId, long start) {
    return retrying(() -> log.eventsAfter(userId, start, 100_000));
  }

  /**
   * Returns what {@code read} returns once it does not fail with StoreUnavailableException: the test's own
   * reads of a cluster that has just lost a node time out now and then on a loaded machine.
   */
  private static <T> T retrying(Supplier<T> read) {
    List<T> result = new ArrayList<>();
    List<StoreUnavailableException> failures = new ArrayList<>();
    Await.until(() -> "a read of the stream; it failed " + failures.size() + " times, last with "
        + (failures.isEmpty() ? null : failures.get(failures.size() - 1).getCause()), () -> {
          try {
            result.add(read.get());
            return true;
          } catch (StoreUnavailableException e) {
            failures.add(e);
            return false;
          }
        });
    return result.get(0);
  }
}
