package io.github.usergrpc.user.server.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.annotation.Nullable;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

/**
 * Compacts an embedded H2 file database while the server runs.
 *
 * <p>Why: the store opens H2 with {@code WRITE_DELAY=0}, so that a commit is in the file before the call
 * that made it is acknowledged. But H2 rewrites sparse chunks only in its background writer thread, which
 * {@code WRITE_DELAY=0} turns off (h2database/h2database#442, #3848). Every commit writes a chunk, and a
 * chunk that keeps one live page is never freed: at 1,600 calls/s the soak benchmark grew the file to 6 GB
 * and the live heap by 9.1 MiB, mostly 75,000 chunks' metadata, in 9.5 minutes. This task does what the background writer
 * would, through H2's {@link MVStore} API: rewrite the live pages of the sparsest chunks, so that H2 can
 * drop those chunks and reuse their space.
 */
final class H2Housekeeping implements AutoCloseable {

  private static final Logger logger = Logger.getLogger(H2Housekeeping.class.getName());

  /** Rewrite while the chunks hold less live data than this, in per cent (H2's own auto-compact rate). */
  static final int TARGET_FILL_RATE = 90;
  /** The most live data one run rewrites, so that a run holds H2's store lock only briefly. */
  static final int WRITE_LIMIT_BYTES = 4 * 1024 * 1024;

  private final DataSource dataSource;
  /** The periodic runs, set by {@link #start}. */
  @Nullable private volatile PeriodicTask runs;

  private H2Housekeeping(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Runs {@link #runOnce} every {@code period} on a daemon thread until closed. */
  static H2Housekeeping start(DataSource dataSource, Duration period) {
    H2Housekeeping housekeeping = new H2Housekeeping(dataSource);
    housekeeping.runs = PeriodicTask.start("user-store-h2-housekeeping", period, housekeeping::runQuietly);
    return housekeeping;
  }

  /**
   * Rewrites the live pages of the sparsest chunks, up to {@link #WRITE_LIMIT_BYTES}. The chunks left
   * without a live page are dropped by H2 as it stores the next commit, and their space is reused after
   * H2's retention time.
   *
   * @return whether anything was rewritten
   */
  static boolean runOnce(DataSource dataSource) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      MVStore store = mvStore(connection);
      return store.compact(TARGET_FILL_RATE, WRITE_LIMIT_BYTES);
    }
  }

  /** Returns how full the chunks of the database are with live data, in per cent. */
  static int chunksFillRate(Connection connection) throws SQLException {
    return mvStore(connection).getFileStore().getChunksFillRate();
  }

  private static MVStore mvStore(Connection connection) throws SQLException {
    // Embedded H2 only (the store never connects to an H2 server): the session is in this JVM.
    SessionLocal session = (SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
    return session.getDatabase().getStore().getMvStore();
  }

  private void runQuietly() {
    try {
      runOnce(dataSource);
    } catch (SQLException | RuntimeException e) {
      // The next run tries again; a database that is closing or broken shows in the calls.
      logger.log(Level.FINE, "H2 housekeeping failed", e);
    }
  }

  @Override
  public void close() {
    PeriodicTask started = runs;
    if (started != null) {
      started.close();
    }
  }
}
