package io.github.usergrpc.user.server.activity.jetstream;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;

/**
 * Moves events from the database's outbox to the stream exactly once: each row is published with the message
 * id {@code outbox:<row id>}, then marked relayed.
 *
 * <ul>
 *   <li>A crash (or a failed mark) between publishing and marking leaves the row pending; the next pass, on this
 *       server or another, publishes it again, and the stream stores it once: its duplicate window remembers
 *       the message id. So the window must outlast the gap between a relay's death and the next relay's pass
 *       over its rows: the lease frees at once when the holder's database session ends, and another relay
 *       tries every {@code pollInterval}; the 2-minute default leaves a wide margin. A relay that was stopped
 *       longer than the window with rows published but not marked would publish them twice.
 *   <li>Only the relay holding the {@link RelayLease} works; the others wait and try again every pass.
 *   <li>Rows go out one at a time in id order, so one user's events keep their order in the stream.
 *   <li>When NATS or the database cannot be reached, the pass stops and the next one starts over from the
 *       oldest pending row.
 * </ul>
 *
 * <p>{@link #wakeUp} (after a commit that wrote outbox rows) starts a pass at once; {@code pollInterval} is
 * the backstop for rows written by other servers.
 */
public final class OutboxRelay implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(OutboxRelay.class.getName());
  private static final String MESSAGE_ID_PREFIX = "outbox:";

  private final OutboxSource source;
  private final JetStreamActivityLog log;
  private final RelayLease lease;
  private final Duration pollInterval;
  private final int batchSize;
  private final Semaphore wakeUps = new Semaphore(0);
  private volatile boolean running;
  @Nullable private volatile Thread thread;
  private boolean failing;

  /**
   * @param pollInterval how long a relay waits between passes when nothing wakes it
   * @param batchSize the most rows one pass reads at a time
   */
  public OutboxRelay(OutboxSource source, JetStreamActivityLog log, RelayLease lease, Duration pollInterval,
      int batchSize) {
    this.source = requireNonNull(source, "source");
    this.log = requireNonNull(log, "log");
    this.lease = requireNonNull(lease, "lease");
    this.pollInterval = requireNonNull(pollInterval, "pollInterval");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: >= 1)");
    }
    this.batchSize = batchSize;
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
   * Relays every pending row, batch after batch, if this relay holds the lease. What the thread does each
   * pass; tests call it directly.
   *
   * @return how many rows were relayed (published, or found already in the stream) and marked
   */
  public int relayPending() {
    int relayed = 0;
    while (running || thread == null) {
      if (!lease.tryAcquire()) { // asked before every batch: the lease can be lost at any time
        return relayed;
      }
      List<OutboxEntry> rows;
      try {
        rows = source.pending(batchSize);
        if (rows.isEmpty()) {
          recovered();
          return relayed;
        }
        List<Long> done = new ArrayList<>(rows.size());
        try {
          for (OutboxEntry row : rows) {
            log.append(row.userId(), row.action(), row.details(), row.occurredAtMillis(),
                Optional.of(MESSAGE_ID_PREFIX + row.id()));
            done.add(row.id());
          }
        } finally {
          if (!done.isEmpty()) {
            source.markRelayed(done);
            relayed += done.size();
          }
        }
      } catch (StoreUnavailableException e) {
        failed(e);
        return relayed;
      }
      if (rows.size() < batchSize) {
        recovered();
        return relayed;
      }
    }
    return relayed;
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
