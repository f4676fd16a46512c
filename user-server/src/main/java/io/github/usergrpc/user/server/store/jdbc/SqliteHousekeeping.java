package io.github.usergrpc.user.server.store.jdbc;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.sql.DataSource;

/**
 * Keeps the files of an embedded SQLite database in proportion to the data they hold.
 *
 * <p>Why: left to itself SQLite lets its two files grow apart from the data. The WAL is checkpointed every
 * 1,000 pages (4 MiB) and then reused, never shrunk; under concurrent readers a checkpoint cannot finish and
 * the WAL grows past that (16.5 MiB of files for 3.2 MiB of data in the embedded-store benchmark). And the
 * pages that deletes and the pruner free stay in the database file as free pages. Against a database of a
 * few MiB either is more than the 4x of issue 16.
 *
 * <p>What it does:
 * <ul>
 *   <li>WAL: after every write transaction of the store ({@link #afterWrite}), while the writer still holds
 *       the {@link WriteTurn}, and in every periodic run: if the WAL file is larger than the database file
 *       (at least {@value #MIN_WAL_LIMIT_BYTES} bytes, at most {@value #MAX_WAL_LIMIT_BYTES}), a
 *       {@code wal_checkpoint(TRUNCATE)} copies it into the database and truncates it to nothing. It runs
 *       between writes, so no writer of this store is in the way; it waits for readers that still read the
 *       WAL at most {@value #CHECKPOINT_BUSY_TIMEOUT_MILLIS} ms (readers are single statements), and one
 *       that cannot finish now is tried again by writers 200 ms later. It is a checkpoint like the one SQLite
 *       runs itself in the committing writer, only sized by the database instead of a fixed 1,000 pages,
 *       and it finishes where SQLite's own PASSIVE one gives up on readers. The file is a copy of committed
 *       transactions: a SIGKILL during a checkpoint loses nothing (SQLite replays the WAL on opening).
 *   <li>Free pages: the database is in {@code auto_vacuum=INCREMENTAL} ({@link #prepare}); every
 *       {@link #PERIOD} a run returns free pages beyond a tenth of the file to the file system with
 *       {@code incremental_vacuum}, {@value #VACUUM_STEP_PAGES} pages per transaction, each in its own
 *       write turn, so that writers wait for one step at most.
 * </ul>
 *
 * <p>A failure is never thrown at the store's callers (the write it follows is committed): it is logged, a
 * warning at most once a minute, and the next run tries again.
 */
final class SqliteHousekeeping implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(SqliteHousekeeping.class.getName());

  /** The WAL is checkpointed when larger than this even if the database file is smaller. */
  static final long MIN_WAL_LIMIT_BYTES = 512 * 1024;
  /** The WAL is checkpointed when larger than this even if the database file is larger. */
  static final long MAX_WAL_LIMIT_BYTES = 64L * 1024 * 1024;
  /** How long a checkpoint waits for readers of the WAL before it gives up until the next write. */
  static final int CHECKPOINT_BUSY_TIMEOUT_MILLIS = 100;
  /** The most free pages one vacuum transaction returns. */
  static final int VACUUM_STEP_PAGES = 256;
  /** Free pages kept for the next inserts, as a share of the file's pages: a tenth. */
  private static final int FREE_PAGES_KEPT_DIVISOR = 10;
  /** How often the periodic run comes. */
  static final Duration PERIOD = Duration.ofSeconds(1);
  /** The longest a run waits for its write turn; a run that does not get it tries again next time. */
  private static final Duration WRITE_TURN_WAIT = Duration.ofSeconds(1);
  private static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  /**
   * How long writers leave the WAL alone after readers kept a checkpoint from finishing: a long read (an
   * export) would otherwise make every write wait for it.
   */
  private static final long BUSY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final DataSource dataSource;
  private final WriteTurn writeTurn;
  private final Path databaseFile;
  private final Path walFile;
  /** The periodic runs, once {@link #start started}. */
  @Nullable private volatile PeriodicTask runs;
  /** When the last failure was logged as a warning; failures in between are logged at FINE. */
  private final AtomicLong lastWarningNanos = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);
  /** When writers may checkpoint again after one that readers kept from finishing. */
  private volatile long writersCheckpointAfterNanos = System.nanoTime();

  private SqliteHousekeeping(DataSource dataSource, WriteTurn writeTurn, Path databaseFile) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
    this.writeTurn = requireNonNull(writeTurn, "writeTurn");
    this.databaseFile = requireNonNull(databaseFile, "databaseFile");
    this.walFile = Path.of(databaseFile + "-wal");
  }

  /**
   * Puts the database in {@code auto_vacuum=INCREMENTAL}, before the migrations create its tables. SQLite
   * fixes the mode when it writes the first page, which a new file in WAL mode already has, and a database
   * created by an earlier version of the store has none: either takes a {@code VACUUM}, which rewrites the
   * file (at once for a new one; for an existing one, once, in about the time it takes to copy it, with room
   * for a second copy). A VACUUM that cannot run now (another process reads the file) is logged and tried
   * again at the next opening; the store works meanwhile, without returning free pages.
   *
   * @param connection a connection in autocommit mode
   * @return the database file
   */
  static Path prepare(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      if (queryLong(statement, "PRAGMA auto_vacuum") != 2) {
        statement.execute("PRAGMA auto_vacuum = INCREMENTAL");
        boolean created = queryLong(statement, "SELECT COUNT(*) FROM sqlite_schema") == 0;
        try {
          statement.execute("VACUUM");
          if (!created) {
            logger.log(Level.INFO, "{0} - rewrote the SQLite database once, in auto_vacuum=INCREMENTAL mode,"
                + " so that housekeeping can return free pages", JdbcUserStore.POOL_NAME);
          }
        } catch (SQLException e) {
          logger.log(Level.WARNING, "{0} - cannot convert the SQLite database to auto_vacuum=INCREMENTAL now"
              + " (tried again at the next opening): {1}", new Object[] {JdbcUserStore.POOL_NAME, e.toString()});
        }
      }
      try (ResultSet rows = statement.executeQuery("SELECT file FROM pragma_database_list WHERE name = 'main'")) {
        if (!rows.next() || rows.getString(1) == null || rows.getString(1).isEmpty()) {
          throw new SQLException("the SQLite database has no file");
        }
        return Path.of(rows.getString(1));
      }
    }
  }

  /** Starts the periodic runs on a daemon thread; {@link #close} stops them. */
  static SqliteHousekeeping start(DataSource dataSource, WriteTurn writeTurn, Path databaseFile) {
    SqliteHousekeeping housekeeping = new SqliteHousekeeping(dataSource, writeTurn, databaseFile);
    housekeeping.runs = PeriodicTask.start("user-store-sqlite-housekeeping", PERIOD, housekeeping::runQuietly);
    return housekeeping;
  }

  /**
   * Checkpoints the WAL into the database and truncates it if it has outgrown its limit ({@link #walLimit}).
   * Called by the writer that holds the write turn, on its connection, once its transaction is committed;
   * never throws.
   *
   * @param connection the writer's connection, in autocommit mode
   */
  void afterWrite(Connection connection) {
    // The clock before the files: while readers hold the WAL, a write costs no file system call.
    if (System.nanoTime() - writersCheckpointAfterNanos < 0 || size(walFile) <= walLimit()) {
      return;
    }
    try {
      if (!checkpoint(connection)) {
        writersCheckpointAfterNanos = System.nanoTime() + BUSY_BACKOFF_NANOS;
      }
    } catch (SQLException | RuntimeException e) {
      failed("checkpoint", e);
    }
  }

  /**
   * Returns free pages beyond a tenth of the file, {@value #VACUUM_STEP_PAGES} per transaction, and
   * checkpoints the WAL if it has outgrown its limit. Each step takes the write turn for itself.
   *
   * @return the number of pages returned
   */
  long runOnce() throws SQLException {
    long returned = 0;
    while (true) {
      writeTurn.acquire(WRITE_TURN_WAIT);
      try (Connection connection = dataSource.getConnection()) {
        int step = vacuumStep(connection);
        returned += step;
        if (step < VACUUM_STEP_PAGES) {
          if (step > 0 || size(walFile) > walLimit()) {
            checkpoint(connection);
          }
          return returned;
        }
      } finally {
        writeTurn.release();
      }
    }
  }

  /** Returns how large the WAL may grow: the database file's size, within the bounds. */
  long walLimit() {
    return Math.max(MIN_WAL_LIMIT_BYTES, Math.min(MAX_WAL_LIMIT_BYTES, size(databaseFile)));
  }

  /**
   * Returns at most {@value #VACUUM_STEP_PAGES} free pages beyond those kept, in one transaction. One step
   * of {@code PRAGMA incremental_vacuum(N)} returns one page and yields a row (the JDBC driver steps a
   * statement without result columns once), so the pragma runs once per page, in one transaction that
   * truncates the file as it commits.
   */
  private static int vacuumStep(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      long pages = queryLong(statement, "PRAGMA page_count");
      long free = queryLong(statement, "PRAGMA freelist_count");
      int step = (int) Math.min(VACUUM_STEP_PAGES, free - pages / FREE_PAGES_KEPT_DIVISOR);
      if (step <= 0) {
        return 0;
      }
      // Pooled SQLite connections rest in autocommit (see SqlDialect); this begins the transaction there.
      connection.setAutoCommit(false);
      try {
        for (int page = 0; page < step; page++) {
          // A statement of its own, closed at once: the driver leaves one that yielded a row in progress,
          // and SQLite cannot commit while a write statement is.
          try (Statement vacuum = connection.createStatement()) {
            vacuum.execute("PRAGMA incremental_vacuum(1)");
          }
        }
        connection.setAutoCommit(true);
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        connection.setAutoCommit(true);
        throw e;
      }
      return step;
    }
  }

  /**
   * Runs {@code wal_checkpoint(TRUNCATE)} waiting at most {@value #CHECKPOINT_BUSY_TIMEOUT_MILLIS} ms for
   * readers, then restores the connection's busy timeout.
   *
   * @return whether the WAL was checkpointed and truncated; false when readers kept it
   */
  static boolean checkpoint(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      long busyTimeout = queryLong(statement, "PRAGMA busy_timeout");
      statement.execute("PRAGMA busy_timeout = " + CHECKPOINT_BUSY_TIMEOUT_MILLIS);
      try {
        // One row: busy (1 if readers or another process kept it from finishing), WAL frames, frames copied.
        return queryLong(statement, "PRAGMA wal_checkpoint(TRUNCATE)") == 0;
      } finally {
        statement.execute("PRAGMA busy_timeout = " + busyTimeout);
      }
    }
  }

  private void runQuietly() {
    try {
      long returned = runOnce();
      if (returned > 0) {
        logger.log(Level.FINE, "{0} - returned {1} free pages of the SQLite database",
            new Object[] {JdbcUserStore.POOL_NAME, returned});
      }
    } catch (SQLException | RuntimeException e) {
      failed("housekeeping", e);
    }
  }

  /** Logs a failure: a warning at most once a minute, the others at FINE. */
  private void failed(String what, Exception e) {
    long now = System.nanoTime();
    long last = lastWarningNanos.get();
    boolean warn = now - last >= WARNING_INTERVAL_NANOS && lastWarningNanos.compareAndSet(last, now);
    logger.log(warn ? Level.WARNING : Level.FINE, "{0} - SQLite {1} failed (tried again later): {2}",
        new Object[] {JdbcUserStore.POOL_NAME, what, e.toString()});
  }

  private static long queryLong(Statement statement, String sql) throws SQLException {
    try (ResultSet rows = statement.executeQuery(sql)) {
      if (!rows.next()) {
        throw new SQLException(sql + " returned no row");
      }
      return rows.getLong(1);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      return 0; // unreadable for now: the next write looks again
    }
  }

  /** Stops the periodic runs, waiting for one under way. */
  @Override
  public void close() {
    PeriodicTask started = runs;
    if (started != null) {
      started.close();
    }
  }
}
