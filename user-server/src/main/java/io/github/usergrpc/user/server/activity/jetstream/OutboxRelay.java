package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.github.usergrpc.user.service.store.ActivityRecord;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Moves events from the database's outbox to the stream exactly once: each row is published with the message
 * id {@code outbox:<database>:<row id>} ({@link #messageIdPrefix}), then marked relayed.
 *
 * <ul>
 *   <li>A crash (or a failed mark) between publishing and marking leaves the row pending; the next pass, on this
 *       server or another, publishes it again, and the stream stores it once: its duplicate window remembers
 *       the message id. So the window must outlast the gap between a relay's death and the next relay's pass
 *       over its rows: the lease frees at once when the holder's database session ends, and another relay
 *       tries every {@code pollInterval}; the 2-minute default leaves a wide margin. A relay that was stopped
 *       longer than the window with rows published but not marked would publish them twice.
 *   <li>Only the relay holding the {@link RelayLease} makes passes over the whole outbox; the others wait and
 *       try again every pass. Besides, each server publishes a user's pending rows right after its own commit
 *       ({@link #relay}, no lease needed): passes only pick up what a server left behind (it died after its
 *       commit, or NATS was down). So a pass publishes a row only once it has seen it pending for
 *       {@code grace}: it does not race the server that wrote the row (which would store it once anyway).
 *   <li>Rows go out one at a time in id order, so one user's events keep their order in the stream.
 *   <li>When NATS or the database cannot be reached, the pass stops and the next one starts over from the
 *       oldest pending row.
 * </ul>
 *
 * <p>{@link #wakeUp} (after a server could not publish its own rows) starts a pass at once;
 * {@code pollInterval} is the backstop for rows other servers left.
 */
public final class OutboxRelay implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(OutboxRelay.class.getName());

  private final OutboxSource source;
  private final JetStreamActivityLog log;
  private final RelayLease lease;
  private final String messageIdPrefix;
  private final Consumer<ActivityRecord> stored;
  private final Duration pollInterval;
  private final Duration grace;
  private final int batchSize;
  /** Serializes passes (the thread's, and tests' direct calls). */
  private final Object passes = new Object();
  /** When a pass first saw each row of its last batch pending ({@link System#nanoTime}). */
  @GuardedBy("passes")
  private final Map<Long, Long> firstSeen = new HashMap<>();
  private final Semaphore wakeUps = new Semaphore(0);
  private volatile boolean running;
  @Nullable private volatile Thread thread;
  private boolean failing;

  /**
   * @param messageIdPrefix what a row's message id starts with, the same for every server on the database
   *     ({@link #messageIdPrefix})
   * @param stored told of every event this relay stored in the stream (not of rows found there already)
   * @param pollInterval how long a relay waits between passes when nothing wakes it
   * @param grace how long a row must have been pending, seen by an earlier pass, before a pass publishes it;
   *     zero for at once
   * @param batchSize the most rows one pass reads at a time
   */
  public OutboxRelay(OutboxSource source, JetStreamActivityLog log, RelayLease lease, String messageIdPrefix,
      Consumer<ActivityRecord> stored, Duration pollInterval, Duration grace, int batchSize) {
    this.source = requireNonNull(source, "source");
    this.log = requireNonNull(log, "log");
    this.lease = requireNonNull(lease, "lease");
    this.messageIdPrefix = requireNonNull(messageIdPrefix, "messageIdPrefix");
    this.stored = requireNonNull(stored, "stored");
    this.pollInterval = requireNonNull(pollInterval, "pollInterval");
    this.grace = requireNonNull(grace, "grace");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: >= 1)");
    }
    this.batchSize = batchSize;
  }

  /**
   * Returns the message id prefix of a database's outbox rows: {@code outbox:} and 12 hex digits of a hash of
   * the store's secret, which every server on the database shares and no other database has. Row ids start at
   * 1 in every new database, so without it, a database recreated within the duplicate window would have its
   * first rows taken for repeats of the old one's.
   *
   * @param storeSecret the store's secret key ({@code UserStore.secretKey()})
   */
  public static String messageIdPrefix(byte[] storeSecret) {
    byte[] hash = SecretDigest.of("user-grpc activity outbox", storeSecret);
    return "outbox:" + HexFormat.of().formatHex(hash, 0, 6) + ":";
  }

  /** Starts the relay's thread. */
  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    running = true;
    Thread relay = new Thread(this::run, "activity-outbox-relay");
    relay.setDaemon(true);
    relay.start();
    thread = relay;
  }

  /** Starts a pass now, instead of at the end of the poll interval. */
  public void wakeUp() {
    if (wakeUps.availablePermits() == 0) {
      wakeUps.release();
    }
  }

  private void run() {
    while (running) {
      try {
        relayPending();
        wakeUps.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        wakeUps.drainPermits();
      } catch (InterruptedException e) {
        return; // close()
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "activity outbox relay: unexpected failure; retrying", e);
      }
    }
  }

  /**
   * Relays every pending row that is due (pending for the grace period), batch after batch, if this relay
   * holds the lease. What the thread does each pass; tests call it directly.
   *
   * @return how many rows were relayed (published, or found already in the stream) and marked
   */
  public int relayPending() {
    synchronized (passes) {
      int relayed = 0;
      while (running || thread == null) {
        if (!lease.tryAcquire()) { // asked before every batch: the lease can be lost at any time
          firstSeen.clear();
          return relayed;
        }
        try {
          List<OutboxEntry> rows = source.pending(batchSize);
          List<OutboxEntry> due = due(rows);
          if (!due.isEmpty()) {
            relayed += relay(due).size();
          }
          if (rows.size() < batchSize || due.size() < rows.size()) {
            recovered();
            return relayed;
          }
        } catch (StoreUnavailableException e) {
          failed(e);
          return relayed;
        }
      }
      return relayed;
    }
  }

  /**
   * Returns the rows of a batch that a pass publishes now: those first seen at least {@code grace} ago, but
   * none after a row of the same user that is not (a user's rows go out in id order). Remembers when each row
   * of the batch was first seen, and forgets the others.
   */
  @GuardedBy("passes")
  private List<OutboxEntry> due(List<OutboxEntry> rows) {
    long now = System.nanoTime();
    Map<Long, Long> seen = new HashMap<>();
    Set<String> waiting = new HashSet<>();
    List<OutboxEntry> due = new ArrayList<>();
    for (OutboxEntry row : rows) {
      long first = firstSeen.getOrDefault(row.id(), now);
      seen.put(row.id(), first);
      if (now - first >= grace.toNanos() && !waiting.contains(row.userId())) {
        due.add(row);
      } else {
        waiting.add(row.userId());
      }
    }
    firstSeen.clear();
    firstSeen.putAll(seen);
    return due;
  }

  /**
   * Publishes rows in order, each once its predecessor is acknowledged, then marks them relayed (those
   * published before a failure too). Needs no lease: what another relay publishes at the same time is stored
   * once, and in order, since each relay waits for a row's acknowledgement before it publishes the next.
   * How a server publishes its own rows right after the commit, and what each relay pass does.
   *
   * @param rows rows in id order, such as the pending rows of one user
   * @return the events of {@code rows}, as stored, in order
   * @throws StoreUnavailableException if NATS or the database cannot be reached; the rows not marked stay
   *     pending
   */
  public List<ActivityRecord> relay(List<OutboxEntry> rows) {
    List<ActivityRecord> events = new ArrayList<>(rows.size());
    List<Long> done = new ArrayList<>(rows.size());
    try {
      for (OutboxEntry row : rows) {
        JetStreamActivityLog.Appended appended = log.append(row.userId(), row.action(), row.details(),
            row.occurredAtMillis(), Optional.of(messageIdPrefix + row.id()));
        done.add(row.id());
        events.add(appended.event());
        if (!appended.duplicate()) {
          stored.accept(appended.event());
        }
      }
    } finally {
      if (!done.isEmpty()) {
        source.markRelayed(done);
      }
    }
    return events;
  }

  private synchronized void failed(StoreUnavailableException e) {
    if (!failing) {
      failing = true;
      LOG.log(Level.WARNING, "activity outbox relay: NATS or the database is unavailable; pending events wait"
          + " (" + e.getCause() + ")");
    }
  }

  private synchronized void recovered() {
    if (failing) {
      failing = false;
      LOG.info("activity outbox relay: relaying again");
    }
  }

  /** Stops the thread and gives up the lease. Idempotent. */
  @Override
  public void close() {
    Thread relay;
    synchronized (this) {
      running = false;
      relay = thread;
    }
    if (relay != null) {
      relay.interrupt();
      try {
        relay.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    lease.close();
  }
}
