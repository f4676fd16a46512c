package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.client.ActivityListener;
import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.client.UserServiceException;
import io.github.usergrpc.user.client.WatchHandle;
import io.github.usergrpc.user.v1.ActivityEvent;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UpdateUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The client side of the soak: unary calls of every kind at a fixed rate (an open loop: a call is started
 * when it is due, whatever the server does) through one {@link UserClient} with its defaults (deadlines,
 * retries, request ids), and a standing set of watch streams, one of which is cancelled and reopened at a
 * fixed interval. Every error is counted by call and status code.
 *
 * <p>Population: {@code stableUsers} users are read, updated and watched and never deleted, so no call on
 * them can fail with NOT_FOUND; {@code churnUsers} more are created up front, and from then on every create
 * adds a user at the tail of that pool and every delete removes the oldest. Creates and deletes have the same
 * share of the mix, so the number of users stays where it started and the server's heap has no reason to
 * grow with it.
 *
 * <p>Delivery: RecordActivity goes only to watched users, as probes numbered 1, 2, 3... per user, one in
 * flight per user at a time. A watcher must then receive that user's probes without a gap or a repeat;
 * from the first probe recorded after its stream had started (seen through
 * {@link WatchHandle#lastSequence()}, which the stream's headers set); and, for the watches open at the end,
 * up to the last probe recorded. Anything else is counted as an error.
 */
final class SoakTraffic implements AutoCloseable {

  /** The calls, with their share of the mix in percent. */
  enum Op {
    GET_USER("GetUser", 48),
    LIST_USERS("ListUsers", 15),
    CREATE_USER("CreateUser", 12),
    DELETE_USER("DeleteUser", 12),
    UPDATE_USER("UpdateUser", 10),
    RECORD_ACTIVITY("RecordActivity", 3);

    final String rpc;
    final int percent;

    Op(String rpc, int percent) {
      this.rpc = rpc;
      this.percent = percent;
    }
  }

  static final String PROBE_ACTION = "soak.probe";
  private static final int PAGE_SIZE = 20;
  private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** Far above what a healthy run has in flight (rate × latency); past it the client is the bottleneck. */
  private static final int MAX_OUTSTANDING = 5_000;
  /** The mix as a deck of 100 calls, dealt in a fixed shuffled order so that every run makes the same calls. */
  private static final Op[] DECK = deck();

  private final UserClient client;
  private final String prefix = "soak-" + Long.toHexString(System.nanoTime());
  private final AtomicLong created = new AtomicLong();
  private final AtomicLong updates = new AtomicLong();
  private final List<String> stable = new ArrayList<>();
  private final ConcurrentLinkedDeque<String> churn = new ConcurrentLinkedDeque<>();
  private final AtomicReference<String> pageToken = new AtomicReference<>("");
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final Map<Op, LongAdder> callsByOp = new EnumMap<>(Op.class);
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Recorder latency = new Recorder(HIGHEST_NANOS, 3);

  private final int watchedUsers;
  private final AtomicReferenceArray<Watcher> watchers;
  private final AtomicLong[] probesSent;
  private final AtomicLong[] probesAcked;
  private final AtomicBoolean[] probeInFlight;
  private final AtomicInteger nextProbe = new AtomicInteger();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong probesReceived = new AtomicLong();
  private final AtomicLong reopened = new AtomicLong();
  private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "soak-watch-maintenance");
    thread.setDaemon(true);
    return thread;
  });
  /** The periodic tasks on {@link #maintenance}: a task that throws stops, which {@link #finish} reports. */
  private final List<ScheduledFuture<?>> maintenanceTasks = new ArrayList<>();
  private Thread driver;

  /**
   * Connects to the server; nothing is sent until {@link #seed}.
   *
   * @param port the server's port on 127.0.0.1
   * @param watchers watch streams to hold open; two per watched user
   */
  SoakTraffic(int port, int watchers) {
    client = UserClient.newBuilder().setChannelBuilder(Calls.channelBuilder(port)).build();
    for (Op op : Op.values()) {
      callsByOp.put(op, new LongAdder());
    }
    this.watchers = new AtomicReferenceArray<>(watchers);
    // Two watchers per user: every probe is delivered to more than one stream.
    watchedUsers = Math.max(1, (watchers + 1) / 2);
    probesSent = new AtomicLong[watchedUsers];
    probesAcked = new AtomicLong[watchedUsers];
    probeInFlight = new AtomicBoolean[watchedUsers];
    for (int i = 0; i < watchedUsers; i++) {
      probesSent[i] = new AtomicLong();
      probesAcked[i] = new AtomicLong();
      probeInFlight[i] = new AtomicBoolean();
    }
  }

  private static Op[] deck() {
    List<Op> deck = new ArrayList<>();
    for (Op op : Op.values()) {
      deck.addAll(Collections.nCopies(op.percent, op));
    }
    if (deck.size() != 100) {
      throw new IllegalStateException("the mix adds up to " + deck.size() + " %");
    }
    Collections.shuffle(deck, new Random(8));
    return deck.toArray(Op[]::new);
  }

  /** Creates the users (not timed, 32 creates in flight); fails if any create fails. */
  void seed(int stableUsers, int churnUsers) {
    if (stableUsers < watchedUsers) {
      throw new IllegalArgumentException("users: " + stableUsers + " (expected: >= " + watchedUsers
          + ", one per two watchers)");
    }
    stable.addAll(createUsers(stableUsers));
    churn.addAll(createUsers(churnUsers));
  }

  private List<String> createUsers(int count) {
    Semaphore inFlight = new Semaphore(32);
    List<CompletableFuture<UserResponse>> users = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      inFlight.acquireUninterruptibly();
      // Completes as the create did, once the permit is back.
      users.add(newUser().whenComplete((u, e) -> inFlight.release()));
    }
    return users.stream().map(CompletableFuture::join).map(UserResponse::getId).toList();
  }

  private CompletableFuture<UserResponse> newUser() {
    long n = created.incrementAndGet();
    return client.createUser(prefix + "-" + n + "@example.com", "Soak User " + n, n % 5 == 0 ? "admin" : "viewer");
  }

  /** Opens the watch streams and waits until each has started, for at most {@code timeout}. */
  void openWatchers(Duration timeout) throws InterruptedException {
    for (int slot = 0; slot < watchers.length(); slot++) {
      watchers.set(slot, open(slot));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!allStarted() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (!allStarted()) {
      throw new IllegalStateException("watch streams did not start within " + timeout);
    }
  }

  private boolean allStarted() {
    boolean all = true;
    for (int slot = 0; slot < watchers.length(); slot++) {
      all &= watchers.get(slot).observeStart();
    }
    return all;
  }

  private Watcher open(int slot) {
    int user = slot % watchedUsers;
    Watcher watcher = new Watcher(user);
    watcher.handle = client.watchActivity(stable.get(user), watcher);
    return watcher;
  }

  /**
   * Starts the calls at {@code rate} per second for {@code length}, and reopens one watch stream every
   * {@code reopenEvery}; returns at once.
   */
  void start(int rate, Duration length, Duration reopenEvery) {
    maintenanceTasks.add(maintenance.scheduleAtFixedRate(this::allStarted, 100, 100, TimeUnit.MILLISECONDS));
    AtomicInteger nextSlot = new AtomicInteger();
    maintenanceTasks.add(maintenance.scheduleAtFixedRate(
        () -> reopen(nextSlot.getAndIncrement() % watchers.length()),
        reopenEvery.toNanos(), reopenEvery.toNanos(), TimeUnit.NANOSECONDS));
    driver = new Thread(() -> drive(rate, length), "soak-driver");
    driver.start();
  }

  private void reopen(int slot) {
    Watcher old = watchers.get(slot);
    watchers.set(slot, open(slot));
    old.finish(false);
    reopened.incrementAndGet();
  }

  private void drive(int rate, Duration length) {
    double period = 1e9 / rate;
    long start = System.nanoTime();
    long end = start + length.toNanos();
    for (long i = 0; ; i++) {
      long due = start + (long) (i * period);
      if (due >= end) {
        return;
      }
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      call(DECK[(int) (i % DECK.length)], due);
    }
  }

  private void call(Op planned, long due) {
    if (outstanding.incrementAndGet() > MAX_OUTSTANDING) {
      outstanding.decrementAndGet();
      error("not sent: " + MAX_OUTSTANDING + " calls in flight", 1);
      return;
    }
    Op op = planned;
    CompletableFuture<?> call;
    try {
      call = switch (op) {
        case GET_USER -> getUser();
        case LIST_USERS -> listUsers();
        case CREATE_USER -> newUser().thenAccept(user -> churn.addLast(user.getId()));
        case DELETE_USER -> deleteUser();
        case UPDATE_USER -> updateUser();
        case RECORD_ACTIVITY -> recordProbe();
      };
      if (call == null) {
        // Nothing to delete, or a probe in flight on every watched user: read instead, to keep the rate.
        op = Op.GET_USER;
        call = getUser();
      }
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    Op made = op;
    // Nothing waits for the call itself: finish() waits until this has counted it (outstanding).
    var unused = call.whenComplete((result, failure) -> {
      latency.recordValue(Math.min(System.nanoTime() - due, HIGHEST_NANOS));
      callsByOp.get(made).increment();
      if (failure != null) {
        error(made.rpc + " " + code(failure), 1);
      }
      completed.incrementAndGet();
      outstanding.decrementAndGet();
    });
  }

  private CompletableFuture<?> getUser() {
    return client.getUser(stable.get(ThreadLocalRandom.current().nextInt(stable.size())));
  }

  /** Pages through all users with page tokens, starting over after the last page. */
  private CompletableFuture<?> listUsers() {
    return client.listUsers(ListUsersRequest.newBuilder().setLimit(PAGE_SIZE).setPageToken(pageToken.get()).build())
        .thenAccept(page -> pageToken.set(page.getNextPageToken()));
  }

  private CompletableFuture<?> deleteUser() {
    String oldest = churn.pollFirst();
    return oldest == null ? null : client.deleteUser(oldest);
  }

  /** Renames a user without an etag: a blind write, so not retried, and never ABORTED by another write. */
  private CompletableFuture<?> updateUser() {
    String id = stable.get(ThreadLocalRandom.current().nextInt(stable.size()));
    return client.updateUser(UpdateUserRequest.newBuilder().setId(id)
        .setName("Soak User v" + updates.incrementAndGet()).build());
  }

  private CompletableFuture<?> recordProbe() {
    for (int tries = 0; tries < watchedUsers; tries++) {
      int user = Math.floorMod(nextProbe.getAndIncrement(), watchedUsers);
      if (probeInFlight[user].compareAndSet(false, true)) {
        long number = probesSent[user].incrementAndGet();
        return client.recordActivity(stable.get(user), PROBE_ACTION, Long.toString(number))
            .whenComplete((event, failure) -> {
              if (failure == null) {
                probesAcked[user].set(number);
              }
              probeInFlight[user].set(false);
            });
      }
    }
    return null;
  }

  private static String code(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return cause instanceof UserServiceException e ? e.code().name() : cause.getClass().getSimpleName();
  }

  private void error(String what, long count) {
    errors.computeIfAbsent(what, k -> new LongAdder()).add(count);
  }

  /**
   * Waits for the driver to stop and the calls in flight to end, gives the watchers 2 seconds to receive
   * the last events, then checks every watch stream still open.
   */
  void finish() throws InterruptedException {
    driver.join();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    if (outstanding.get() > 0) {
      error("calls unfinished 30 s after the end", outstanding.get());
    }
    for (ScheduledFuture<?> task : maintenanceTasks) {
      // Done before the shutdown only if it threw: the watches were no longer checked or reopened.
      if (task.isDone()) {
        try {
          task.get();
        } catch (ExecutionException e) {
          error("watch maintenance failed: " + e.getCause(), 1);
        }
      }
    }
    maintenance.shutdown();
    maintenance.awaitTermination(10, TimeUnit.SECONDS);
    Thread.sleep(2000);
    allStarted();
    for (int slot = 0; slot < watchers.length(); slot++) {
      watchers.get(slot).finish(true);
    }
  }

  /** Returns the latency of the calls that ended since the last call of this method, from when each was due. */
  Histogram latencySinceLastCall() {
    return latency.getIntervalHistogram();
  }

  long completed() {
    return completed.get();
  }

  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Returns the errors by what failed, such as "GetUser UNAVAILABLE" or "watch events missed". */
  Map<String, Long> errors() {
    Map<String, Long> copy = new TreeMap<>();
    errors.forEach((what, count) -> copy.put(what, count.sum()));
    return copy;
  }

  /** Returns the calls made of each kind (a planned delete or probe that could not run was a GetUser). */
  Map<Op, Long> callsByOp() {
    Map<Op, Long> copy = new EnumMap<>(Op.class);
    callsByOp.forEach((op, count) -> copy.put(op, count.sum()));
    return copy;
  }

  long watchEvents() {
    return events.get();
  }

  long probesReceived() {
    return probesReceived.get();
  }

  long reopened() {
    return reopened.get();
  }

  int population() {
    return stable.size() + churn.size();
  }

  @Override
  public void close() {
    maintenance.shutdownNow();
    client.close();
  }

  /** One watch stream and what it received. Events arrive one at a time, on gRPC's threads. */
  private final class Watcher implements ActivityListener {
    private final int user;
    volatile WatchHandle handle;
    /** The last probe recorded when the stream was seen started; -1 until then. */
    private volatile long ackedAtStart = -1;
    private long firstProbe = -1;
    private long lastProbe = -1;
    private long lastSequence;

    Watcher(int user) {
      this.user = user;
    }

    /** Notes the stream's start; returns whether it has started. Called by one thread at a time. */
    boolean observeStart() {
      if (ackedAtStart < 0 && handle != null && handle.lastSequence() > 0) {
        // Read after the start was seen: every probe acknowledged later than the next one was recorded
        // after the stream started, since one probe per user is in flight at a time.
        ackedAtStart = probesAcked[user].get();
      }
      return ackedAtStart >= 0;
    }

    @Override
    public synchronized void onEvent(ActivityEvent event) {
      events.incrementAndGet();
      if (event.getSequence() <= lastSequence) {
        error("watch events repeated or out of order", 1);
      }
      lastSequence = event.getSequence();
      if (!event.getAction().equals(PROBE_ACTION)) {
        return;
      }
      probesReceived.incrementAndGet();
      long number = Long.parseLong(event.getDetails());
      if (firstProbe < 0) {
        firstProbe = number;
      } else if (number <= lastProbe) {
        error("watch events repeated or out of order", 1);
      } else if (number > lastProbe + 1) {
        error("watch events missed", number - lastProbe - 1);
      }
      lastProbe = Math.max(lastProbe, number);
    }

    @Override
    public void onCompleted() {
      // Watched users are never deleted, so the stream had no reason to end.
      error("WatchUserActivity ended by the server", 1);
    }

    @Override
    public void onError(UserServiceException error) {
      error("WatchUserActivity " + error.code(), 1);
    }

    /**
     * Cancels the stream and counts what it missed: probes before its first one that were recorded after it
     * started, and with {@code atEnd} (no probe in flight any more) those after its last one.
     */
    synchronized void finish(boolean atEnd) {
      handle.cancel();
      if (handle.reconnects() > 0) {
        error("WatchUserActivity broke and reconnected", handle.reconnects());
      }
      long startedAfter = ackedAtStart;
      if (startedAfter < 0) {
        error("WatchUserActivity never started", 1);
        return;
      }
      // Probe startedAfter + 1 may have been in flight when the start was seen; the ones after it may not.
      if (firstProbe > startedAfter + 2) {
        error("watch events missed", firstProbe - startedAfter - 2);
      }
      if (atEnd) {
        long seen = firstProbe < 0 ? startedAfter + 1 : lastProbe;
        long recorded = probesAcked[user].get();
        if (recorded > seen) {
          error("watch events missed", recorded - seen);
        }
      }
    }
  }
}
