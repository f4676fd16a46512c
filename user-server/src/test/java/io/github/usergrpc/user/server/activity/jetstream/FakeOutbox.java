package io.github.usergrpc.user.server.activity.jetstream;

import io.github.usergrpc.user.service.store.StoreUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An outbox table in memory, shared by relays as a database would be. {@link #view} gives each relay its own
 * handle that counts the rows it was given, to tell which relay did the work.
 */
final class FakeOutbox {

  private final TreeMap<Long, OutboxEntry> pending = new TreeMap<>();
  private long nextId = 1;
  private int failMarks;

  /** Writes a row, as a committed transaction would; returns its id. */
  synchronized long add(String userId, String action, String details) {
    long id = nextId++;
    pending.put(id, new OutboxEntry(id, userId, action, details, id * 1000));
    return id;
  }

  /** Makes the next {@code count} marks fail, as a relay that dies after publishing and before marking. */
  synchronized void failNextMarks(int count) {
    failMarks = count;
  }

  synchronized int pendingCount() {
    return pending.size();
  }

  /** A relay's handle on the outbox. */
  View view() {
    return new View();
  }

  final class View implements OutboxSource {

    final AtomicInteger rowsGiven = new AtomicInteger();
    /** When set, marks wait for it (outside the outbox's lock): a relay stuck between publish and mark. */
    volatile CountDownLatch markGate;

    @Override
    public List<OutboxEntry> pending(int max) {
      synchronized (FakeOutbox.this) {
        List<OutboxEntry> rows = new ArrayList<>(pending.values()).subList(0, Math.min(max, pending.size()));
        rowsGiven.addAndGet(rows.size());
        return List.copyOf(rows);
      }
    }

    @Override
    public List<OutboxEntry> pending(String userId) {
      synchronized (FakeOutbox.this) {
        return pending.values().stream().filter(row -> row.userId().equals(userId)).toList();
      }
    }

    @Override
    public Optional<List<OutboxEntry>> pendingIfUserExists(String userId) {
      return Optional.of(pending(userId)); // every user exists here
    }

    @Override
    public void addCommitListener(Consumer<List<OutboxEntry>> listener) {
      // Rows are added by add(), not by changes that commit: there is nothing to tell.
    }

    @Override
    public void markRelayed(List<Long> ids) {
      CountDownLatch gate = markGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StoreUnavailableException(e);
        }
      }
      synchronized (FakeOutbox.this) {
        if (failMarks > 0) {
          failMarks--;
          throw new StoreUnavailableException(new IOException("simulated crash before the mark"));
        }
        ids.forEach(pending::remove);
      }
    }
  }
}
