package io.github.usergrpc.user.server.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.server.Await;
import io.github.usergrpc.user.service.store.NewUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded SQLite store's files against the data they hold: "data held" is the size of the database
 * after {@code VACUUM} (here {@code VACUUM INTO} a copy, so that the store stays open), as in the
 * embedded-store benchmark.
 */
class SqliteHousekeepingTest {

  private static final long T0 = 1_000_000;
  private static final int USERS = 1500;
  /** Users deleted in the second phase, the oldest ids first; the rest stay. */
  private static final int DELETED = 1200;
  private static final String NAME = "n".repeat(300);
  private static final String DETAILS = "d".repeat(200);

  @TempDir
  Path root;
  /** The store's files, and nothing else. */
  private Path directory;
  /** The VACUUM INTO copies. */
  private Path copies;

  @BeforeEach
  void createDirectories() throws IOException {
    directory = Files.createDirectory(root.resolve("store"));
    copies = Files.createDirectory(root.resolve("copies"));
  }

  /**
   * A store writes about 1.3 MiB, then deletes four fifths of it (users deleted, their events pruned):
   * with housekeeping the files stay within 4x the data while it writes, and come back within 4x of what
   * is left once it has run.
   */
  @Test
  @Timeout(300)
  void writesThenDeletes_filesComeBackWithinFourTimesTheData() throws Exception {
    try (JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), true)) {
      long peak = write(store);
      long written = dataHeld();
      assertThat(peak).as("peak files %s, data %s", mib(peak), mib(written)).isLessThanOrEqualTo(4 * written);

      deleteAndPrune(store);
      long left = dataHeld();
      assertThat(left).isLessThan(written / 2);
      Await.until(() -> "files " + mib(files()) + " within 4x the data held, " + mib(left),
          () -> files() <= 4 * left);
    }
  }

  /** The same writes and deletes without housekeeping leave files of more than 4x the data: the test above can fail. */
  @Test
  @Timeout(300)
  void withoutHousekeeping_sameWritesAndDeletes_leaveMoreThanFourTimesTheData() throws Exception {
    try (JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), false)) {
      write(store);
      deleteAndPrune(store);
      long left = dataHeld();
      assertThat(files()).as("files, data %s", mib(left)).isGreaterThan(4 * left);
    }
  }

  /** A database of an earlier version (no auto-vacuum) is rewritten once on opening, keeping its data. */
  @Test
  void open_databaseOfAnEarlierVersion_isConvertedToIncrementalAutoVacuum() throws Exception {
    try (JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), false)) {
      store.create(new NewUser("u1", "u1@example.com", "N", "viewer", T0), Optional.empty());
    }
    assertThat(query("PRAGMA auto_vacuum")).isZero();

    try (JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), true)) {
      assertThat(store.find("u1")).isPresent();
    }
    assertThat(query("PRAGMA auto_vacuum")).isEqualTo(2);
  }

  /**
   * A reader that holds the WAL keeps the checkpoint from finishing: writes still succeed, and once the
   * reader is done the next writes bring the WAL back under its limit.
   */
  @Test
  @Timeout(300)
  void write_whileAReaderHoldsTheWal_succeedsAndTheWalShrinksAfterwards() throws Exception {
    try (JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), true)) {
      store.create(new NewUser("u0", "u0@example.com", NAME, "viewer", T0), Optional.empty());
      int i = 1;
      try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
          Statement statement = reader.createStatement()) {
        reader.setAutoCommit(false);
        try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM users")) {
          rows.next();
        }
        // The reader's snapshot stays until it ends its transaction: the WAL cannot be reset past it.
        for (; wal() <= SqliteHousekeeping.MIN_WAL_LIMIT_BYTES + 64 * 1024; i++) {
          store.recordActivity("u0", "page_view", DETAILS, T0 + i, Optional.empty());
        }
        reader.rollback();
      }
      long grown = wal();
      for (int more = 0; more < 10_000 && wal() > SqliteHousekeeping.MIN_WAL_LIMIT_BYTES; more++, i++) {
        store.recordActivity("u0", "page_view", DETAILS, T0 + i, Optional.empty());
      }
      assertThat(wal()).as("WAL after the reader, %s before", mib(grown))
          .isLessThanOrEqualTo(SqliteHousekeeping.MIN_WAL_LIMIT_BYTES);
    }
  }

  @Test
  void close_stopsTheHousekeepingThread() {
    long before = housekeepingThreads();
    JdbcUserStore store = JdbcUserStore.open(settings(), Clock.systemUTC(), true);
    assertThat(housekeepingThreads()).isEqualTo(before + 1);

    store.close();
    Await.until("the store's housekeeping thread ended", () -> housekeepingThreads() == before);
  }

  private static long housekeepingThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("user-store-sqlite-housekeeping")).count();
  }

  private JdbcSettings settings() {
    // A retention of 1 s prunes events stamped 1 s before the newest; every 100 ms.
    return JdbcSettings.newBuilder().setJdbcUrl("jdbc:sqlite:" + databaseFile())
        .setActivityRetention(Duration.ofSeconds(1)).build();
  }

  private Path databaseFile() {
    return directory.resolve("users.db");
  }

  /** Creates {@link #USERS} users with an event each besides their creation; returns the peak file size. */
  private long write(JdbcUserStore store) {
    long peak = 0;
    for (int i = 0; i < USERS; i++) {
      String id = String.format(Locale.ROOT, "u%05d", i);
      store.create(new NewUser(id, id + "@example.com", NAME, "viewer", T0 + i), Optional.empty());
      store.recordActivity(id, "page_view", DETAILS, T0 + i, Optional.empty());
      peak = Math.max(peak, files());
    }
    return peak;
  }

  /**
   * Deletes the {@link #DELETED} oldest users, then records an event an hour later, so that the pruner
   * deletes every earlier event; returns once it has.
   */
  private void deleteAndPrune(JdbcUserStore store) {
    for (int i = 0; i < DELETED; i++) {
      store.delete(String.format(Locale.ROOT, "u%05d", i), Optional.empty(), T0 + USERS + i);
    }
    store.recordActivity(String.format(Locale.ROOT, "u%05d", USERS - 1), "page_view", "", T0 + 3_600_000,
        Optional.empty());
    Await.until("the pruner deleted every earlier event", () -> queryOrFail("SELECT COUNT(*) FROM activity") == 1);
  }

  /** Returns the size of the database after VACUUM: VACUUM INTO a copy, leaving the store's files alone. */
  private long dataHeld() throws SQLException, IOException {
    Path copy = copies.resolve("copy-" + System.nanoTime() + ".db");
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
        Statement statement = connection.createStatement()) {
      statement.execute("VACUUM INTO '" + copy + "'");
    }
    long size = Files.size(copy);
    Files.delete(copy);
    return size;
  }

  /** Returns the size of the store's files: the database, its WAL and its shared memory. */
  private long files() {
    try (Stream<Path> files = Files.list(directory)) {
      return files.mapToLong(SqliteHousekeepingTest::size).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long wal() {
    return size(Path.of(databaseFile() + "-wal"));
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      return 0; // removed meanwhile
    }
  }

  private long queryOrFail(String sql) {
    try {
      return query(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns the number that {@code sql} selects, on a connection of its own. */
  private long query(String sql) throws SQLException {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + databaseFile());
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / 1024.0 / 1024.0);
  }
}
