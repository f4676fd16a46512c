package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import io.github.usergrpc.user.service.store.UserStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.sql.DataSource;

/**
 * Deletes what a {@link JdbcUserStore} no longer keeps, in the background: the activity log's events older
 * than the activity retention, and the CreateUser request ids older than
 * {@link UserStore#REQUEST_ID_RETENTION}.
 *
 * <p>Each batch is a short transaction of its own that deletes at most {@value #BATCH_SIZE} events of one
 * user by primary-key range, rows no writer touches (writers only add newer ones). A user's events are
 * deleted oldest sequence first, and the last deleted sequence is recorded in the user's
 * {@code activity_heads.pruned_up_to} in the same transaction, so that a watch resuming from before it is
 * refused instead of missing events. That update waits for, and briefly holds up, writers of that one user.
 *
 * <p>"Now" is the time of the newest event, by the clock of the calls as every event is stamped, and never
 * later than this machine's clock: a store that receives no calls keeps what it has, and a store written
 * with timestamps from the past, as tests do, is pruned by those timestamps. Several servers on one
 * database may each run a pruner; their batches overlap harmlessly.
 */
final class ActivityPruner implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(ActivityPruner.class.getName());

  /** The longest a batch waits for its write turn; a run that does not get it tries again next time. */
  private static final Duration WRITE_TURN_WAIT = Duration.ofSeconds(10);
  /** The most rows one transaction deletes. */
  static final int BATCH_SIZE = 1000;
  /** The longest pause between two runs; shorter for a short retention (a tenth of it, at least 100 ms). */
  static final Duration MAX_PERIOD = Duration.ofMinutes(1);
  private static final Duration MIN_PERIOD = Duration.ofMillis(100);

  private final DataSource dataSource;
  private final WriteTurn writeTurn;
  private final Duration activityRetention;
  private final Duration requestIdRetention;
  private final Clock clock;
  private final BooleanSupplier paused;
  /** The periodic runs, once {@link #start started}. */
  @Nullable private volatile PeriodicTask runs;

  /**
   * Creates the pruner; {@link #start} starts it.
   *
   * @param paused tells when not to run: while the database is known to be down, a run would only wait
   *     for a connection
   */
  ActivityPruner(DataSource dataSource, WriteTurn writeTurn, Duration activityRetention,
      Duration requestIdRetention, Clock clock, BooleanSupplier paused) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
    this.writeTurn = requireNonNull(writeTurn, "writeTurn");
    this.activityRetention = requireNonNull(activityRetention, "activityRetention");
    this.requestIdRetention = requireNonNull(requestIdRetention, "requestIdRetention");
    this.clock = requireNonNull(clock, "clock");
    this.paused = requireNonNull(paused, "paused");
  }

  /** Runs {@link #runOnce} periodically on a daemon thread until closed; see {@link #period}. */
  void start() {
    runs = PeriodicTask.start("user-store-retention", period(activityRetention), this::runQuietly);
  }

  /** Returns the pause between runs: a tenth of the retention, between 100 ms and a minute. */
  static Duration period(Duration activityRetention) {
    Duration tenth = activityRetention.dividedBy(10);
    return tenth.compareTo(MIN_PERIOD) < 0 ? MIN_PERIOD : tenth.compareTo(MAX_PERIOD) > 0 ? MAX_PERIOD : tenth;
  }

  /**
   * Deletes, batch by batch, every event and request id past its retention.
   *
   * @return the number of rows deleted
   * @throws SQLException if the database fails; what was deleted before stays deleted
   */
  long runOnce() throws SQLException {
    OptionalLong newest = newestEventMillis();
    if (newest.isEmpty()) {
      return 0;
    }
    long now = Math.min(newest.getAsLong(), clock.millis());
    long deleted = 0;
    deleted += pruneEvents(now - activityRetention.toMillis());
    for (int batch; (batch = pruneCreateRequests(now - requestIdRetention.toMillis())) > 0; ) {
      deleted += batch;
    }
    return deleted;
  }

  /**
   * Stops the runs, waiting for the batch under way: the store closes its pool next, and a batch cut off
   * there left its connection closed in the middle of a write transaction (seen as SQLITE_BUSY on the
   * closed SQLite file in the embedded-store benchmark).
   */
  @Override
  public void close() {
    PeriodicTask started = runs;
    if (started != null) {
      started.close();
    }
  }

  private void runQuietly() {
    if (paused.getAsBoolean()) {
      return;
    }
    try {
      long deleted = runOnce();
      if (deleted > 0) {
        logger.log(Level.FINE, "{0} - pruned {1} rows past their retention",
            new Object[] {JdbcUserStore.POOL_NAME, deleted});
      }
    } catch (SQLException | RuntimeException e) {
      // The next run tries again; health reports an unreachable database.
      logger.log(SqlFailures.sqlCause(e).filter(SqlFailures::isUnavailable).isPresent() ? Level.FINE
          : Level.WARNING, "{0} - pruning failed: {1}", new Object[] {JdbcUserStore.POOL_NAME, e.toString()});
    }
  }

  private OptionalLong newestEventMillis() throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement select = connection.createStatement()) {
      connection.setAutoCommit(true);
      try (ResultSet rows = select.executeQuery("SELECT MAX(occurred_at_ms) FROM activity")) {
        rows.next();
        long newest = rows.getLong(1);
        return rows.wasNull() ? OptionalLong.empty() : OptionalLong.of(newest);
      }
    }
  }

  /**
   * Walks the events that occurred before {@code cutoff}, oldest first, {@value #BATCH_SIZE} at a time, and
   * prunes the users they belong to ({@link #pruneUser}). Each event is looked at once per run: an old event
   * that follows a younger one of its user is kept, and the walk goes past it.
   *
   * @return the number of events deleted
   */
  private long pruneEvents(long cutoffMillis) throws SQLException {
    long deleted = 0;
    Optional<OldEvent> after = Optional.empty();
    while (true) {
      List<OldEvent> batch = oldEvents(cutoffMillis, after);
      if (batch.isEmpty()) {
        return deleted;
      }
      Set<String> users = new LinkedHashSet<>();
      batch.forEach(event -> users.add(event.userId()));
      for (String userId : users) {
        for (int pruned; (pruned = pruneUser(userId, cutoffMillis)) > 0; ) {
          deleted += pruned;
          if (pruned < BATCH_SIZE) {
            break;
          }
        }
      }
      after = Optional.of(batch.get(batch.size() - 1));
    }
  }

  /** An event before the cutoff; the walk's position. */
  private record OldEvent(long occurredAtMillis, String userId, long sequence) {}

  private List<OldEvent> oldEvents(long cutoffMillis, Optional<OldEvent> after) throws SQLException {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT occurred_at_ms, user_id, sequence"
            + " FROM activity WHERE occurred_at_ms < ?"
            + (after.isPresent() ? " AND (occurred_at_ms, user_id, sequence) > (?, ?, ?)" : "")
            + " ORDER BY occurred_at_ms, user_id, sequence LIMIT ?")) {
      connection.setAutoCommit(true);
      int index = 1;
      select.setLong(index++, cutoffMillis);
      if (after.isPresent()) {
        select.setLong(index++, after.get().occurredAtMillis());
        select.setString(index++, after.get().userId());
        select.setLong(index++, after.get().sequence());
      }
      select.setInt(index, BATCH_SIZE);
      List<OldEvent> events = new ArrayList<>();
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          events.add(new OldEvent(rows.getLong(1), rows.getString(2), rows.getLong(3)));
        }
      }
      return events;
    }
  }

  /**
   * Deletes the user's oldest run of at most {@value #BATCH_SIZE} events that all occurred before
   * {@code cutoff}, and records the last one's sequence as the user's {@code pruned_up_to}. Stops at the
   * user's first younger event, so that everything up to {@code pruned_up_to} is gone and everything after
   * it is kept. The head's row lock is held only for this short transaction; it makes the user's writers
   * wait that long, no other writer.
   *
   * @return the number of events deleted; 0 when none is due
   */
  private int pruneUser(String userId, long cutoffMillis) throws SQLException {
    writeTurn.acquire(WRITE_TURN_WAIT);
    try (Connection connection = dataSource.getConnection()) {
      // Pooled SQLite connections rest in autocommit (see SqlDialect); this begins the transaction there.
      connection.setAutoCommit(false);
      try {
        long prunedUpTo;
        try (PreparedStatement select = connection.prepareStatement(
            "SELECT pruned_up_to FROM activity_heads WHERE user_id = ?")) {
          select.setString(1, userId);
          try (ResultSet rows = select.executeQuery()) {
            prunedUpTo = rows.next() ? rows.getLong(1) : 0;
          }
        }
        long upTo = prunedUpTo;
        try (PreparedStatement select = connection.prepareStatement("SELECT sequence, occurred_at_ms"
            + " FROM activity WHERE user_id = ? AND sequence > ? ORDER BY sequence LIMIT ?")) {
          select.setString(1, userId);
          select.setLong(2, prunedUpTo);
          select.setInt(3, BATCH_SIZE);
          try (ResultSet rows = select.executeQuery()) {
            while (rows.next() && rows.getLong(2) < cutoffMillis) {
              upTo = rows.getLong(1);
            }
          }
        }
        if (upTo == prunedUpTo) {
          connection.rollback();
          return 0;
        }
        int deleted;
        try (PreparedStatement delete = connection.prepareStatement(
            "DELETE FROM activity WHERE user_id = ? AND sequence > ? AND sequence <= ?")) {
          delete.setString(1, userId);
          delete.setLong(2, prunedUpTo);
          delete.setLong(3, upTo);
          deleted = delete.executeUpdate();
        }
        try (PreparedStatement update = connection.prepareStatement(
            "UPDATE activity_heads SET pruned_up_to = ? WHERE user_id = ? AND pruned_up_to < ?")) {
          update.setLong(1, upTo);
          update.setString(2, userId);
          update.setLong(3, upTo);
          update.executeUpdate();
        }
        connection.commit();
        // A run of sequences without rows (another pruner got there first) still moves on.
        return Math.max(deleted, 1);
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } finally {
      writeTurn.release();
    }
  }

  /**
   * Deletes at most {@value #BATCH_SIZE} CreateUser request ids of creates before {@code cutoff}.
   *
   * @return the number deleted
   */
  private int pruneCreateRequests(long cutoffMillis) throws SQLException {
    writeTurn.acquire(WRITE_TURN_WAIT);
    try (Connection connection = dataSource.getConnection();
        PreparedStatement delete = connection.prepareStatement("DELETE FROM create_requests WHERE request_id IN"
            + " (SELECT request_id FROM create_requests WHERE created_at_ms < ? ORDER BY created_at_ms LIMIT ?)")) {
      connection.setAutoCommit(false);
      try {
        delete.setLong(1, cutoffMillis);
        delete.setInt(2, BATCH_SIZE);
        int deleted = delete.executeUpdate();
        connection.commit();
        return deleted;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } finally {
      writeTurn.release();
    }
  }
}
