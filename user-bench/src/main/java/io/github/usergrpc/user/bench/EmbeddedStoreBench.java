package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.server.store.jdbc.StoreVariants;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.StoreUnavailableException;
import io.github.usergrpc.user.service.store.UserChanges;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How big the embedded store's files grow under sustained writes, against the data they hold, and how fast
 * it writes, for H2 (as the store opens it) and SQLite (without the store's housekeeping, as earlier versions
 * ran it, and with it, in synchronous NORMAL and FULL). Writers create
 * users, record activity, rename and delete users through the store as fast as they can, with a short
 * activity retention so that the pruner deletes as they write; the files (database, WAL, shared memory) are
 * sampled every 250 ms. The data held is the size after compaction ({@code SHUTDOWN COMPACT} on H2,
 * {@code VACUUM} on SQLite). Each variant runs with 16 writers and with 1, and is then killed (SIGKILL)
 * while writing from a child process, counting acknowledged creates that are missing after reopening.
 * Variants run one after the other in each round, so that they share the machine's state.
 */
final class EmbeddedStoreBench {

  /**
   * A way to open the file: a name, the URL of a database in a directory, how to compact it, and (SQLite)
   * whether with the store's housekeeping.
   */
  private record Variant(String name, String urlPrefix, String fileName, String urlSuffix, String compact,
      boolean sqliteHousekeeping) {

    String url(Path directory) {
      return urlPrefix + directory.resolve(fileName) + urlSuffix;
    }

    JdbcUserStore open(JdbcSettings settings) {
      return StoreVariants.open(settings, sqliteHousekeeping);
    }
  }

  private record Result(Variant variant, int writers, long peakBytes, long closedBytes, long dataBytes,
      long operations, long unavailable, Duration elapsed) {

    double ratio() {
      return (double) peakBytes / dataBytes;
    }

    double operationsPerSecond() {
      return operations / (elapsed.toNanos() / 1e9);
    }
  }

  /**
   * H2 and SQLite as earlier versions opened them, for reference, and SQLite as the store opens it now. (H2
   * with RETENTION_TIME=0 lost acknowledged creates to SIGKILL in the runs of 2026-12-06 and is no longer
   * measured.)
   */
  private static final List<Variant> VARIANTS = List.of(
      new Variant("H2 as opened by the store (WRITE_DELAY=0, compaction every 500 ms)", "jdbc:h2:file:", "users", "",
          "SHUTDOWN COMPACT", false),
      new Variant("SQLite NORMAL, no housekeeping (before)", "jdbc:sqlite:", "users.db",
          "?synchronous=NORMAL&journal_size_limit=-1", "VACUUM", false),
      new Variant("SQLite NORMAL with housekeeping (the store now)", "jdbc:sqlite:", "users.db",
          "?synchronous=NORMAL", "VACUUM", true),
      new Variant("SQLite FULL with housekeeping", "jdbc:sqlite:", "users.db", "?synchronous=FULL", "VACUUM",
          true));
  /** Creates acknowledged by the killed writer before it is killed. */
  private static final int KILL_AFTER = 300;

  private EmbeddedStoreBench() {}

  static void run(Args args) throws Exception {
    Duration duration = args.seconds("duration", 40);
    int writers = args.integer("writers", 16);
    int rounds = args.integer("rounds", 2);
    Duration retention = args.seconds("retention", 10);
    String loadBefore = Machine.loadAverage();
    List<Result> results = new ArrayList<>();
    List<String> kills = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (Variant variant : VARIANTS) {
        for (int clients : new int[] {writers, 1}) {
          Result result = measure(variant, duration, clients, retention);
          System.out.printf(Locale.ROOT,
              "round %d %s, %d writers: peak %s, closed %s, data %s, %.1fx, %.0f ops/s, %d unavailable%n",
              round + 1, variant.name(), clients, mib(result.peakBytes()), mib(result.closedBytes()),
              mib(result.dataBytes()), result.ratio(), result.operationsPerSecond(), result.unavailable());
          results.add(result);
        }
        String kill = kill(variant);
        System.out.printf(Locale.ROOT, "round %d %s, SIGKILL: %s%n", round + 1, variant.name(), kill);
        kills.add(String.format(Locale.ROOT, "| %s | %d | %s |%n", variant.name(), round + 1, kill));
      }
    }
    StringBuilder table = new StringBuilder("| variant | round | writers | peak files | after close | data held"
        + " | peak / data | store operations/s | STORE_UNAVAILABLE |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      table.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %.1fx | %.0f | %d |%n",
          r.variant().name(), i / (2 * VARIANTS.size()) + 1, r.writers(), mib(r.peakBytes()),
          mib(r.closedBytes()), mib(r.dataBytes()), r.ratio(), r.operationsPerSecond(), r.unavailable()));
    }
    BenchmarksFile.writeSection("embedded-store", "## Embedded store: file size under sustained writes, H2 and"
        + " SQLite\n\n"
        + Machine.header(args.string("command", "scripts/bench/embedded-store.sh"), loadBefore)
        + "- Load: writer threads on the store (no gRPC), each repeating: create a user, record three activity"
        + " events, rename the user, delete every second user; " + duration.toSeconds() + " s per variant with "
        + writers + " writers, then " + duration.toSeconds() + " s with 1; " + rounds + " rounds, variants"
        + " alternating. Activity retention " + retention.toSeconds() + " s, so that the pruner deletes while"
        + " they write. The files (database, WAL, shared memory) are sampled every 250 ms; \"data held\" is"
        + " their size after compaction (`SHUTDOWN COMPACT` on H2, `VACUUM` on SQLite). Target (issue 16):"
        + " peak within 4x the data.\n"
        + "- SQLite housekeeping (`SqliteHousekeeping`): `wal_checkpoint(TRUNCATE)` after a write once the WAL"
        + " is larger than the database file (at least 512 KiB), `auto_vacuum=INCREMENTAL` with free pages"
        + " beyond a tenth of the file returned every second, `journal_size_limit` 4 MiB. \"no housekeeping\""
        + " is the store before it (`journal_size_limit=-1`, no auto-vacuum, SQLite's own checkpoint every"
        + " 1,000 pages only).\n"
        + "- SIGKILL: a child JVM creates users one at a time and prints each id once `create` returned; it is"
        + " killed (SIGKILL) after " + KILL_AFTER + " acknowledged creates, the database is reopened and the"
        + " acknowledged users that are missing are counted.\n\n"
        + table + "\n| variant | round | SIGKILL: acknowledged creates missing after reopening |\n|---|---|---|\n"
        + String.join("", kills));
  }

  private static Result measure(Variant variant, Duration duration, int writers, Duration retention)
      throws Exception {
    Path directory = Files.createTempDirectory("embedded-store-bench");
    String url = variant.url(directory);
    AtomicLong peak = new AtomicLong();
    AtomicLong operations = new AtomicLong();
    AtomicLong unavailable = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    long start;
    long elapsed;
    try (JdbcUserStore store = variant.open(
        JdbcSettings.newBuilder().setJdbcUrl(url).setActivityRetention(retention).build())) {
      ScheduledFuture<?> sampling = sampler.scheduleAtFixedRate(
          () -> peak.accumulateAndGet(size(directory), Math::max), 0, 250, TimeUnit.MILLISECONDS);
      start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        futures.add(pool.submit(() -> {
          long n = 0;
          while (running.get()) {
            try {
              n = writeOnce(store, n);
              operations.addAndGet(6);
            } catch (StoreUnavailableException e) {
              // No connection or write turn within the store's 3 s: the machine is overloaded. Counted.
              unavailable.incrementAndGet();
            }
          }
          return null;
        }));
      }
      Thread.sleep(duration.toMillis());
      running.set(false);
      for (Future<?> future : futures) {
        future.get(60, TimeUnit.SECONDS);
      }
      if (sampling.isDone()) {
        // Done only if a sample threw, which stopped the sampling: the peak would be too low.
        sampling.get();
      }
      elapsed = System.nanoTime() - start;
      peak.accumulateAndGet(size(directory), Math::max);
    } finally {
      running.set(false);
      pool.shutdownNow();
      sampler.shutdownNow();
    }
    long closed = size(directory);
    compact(variant, url);
    long data = size(directory);
    Directories.deleteTree(directory);
    return new Result(variant, writers, peak.get(), closed, data, operations.get(), unavailable.get(),
        Duration.ofNanos(elapsed));
  }

  /** One writer's round: create, three events, rename, and delete every second user. */
  private static long writeOnce(JdbcUserStore store, long n) {
    String id = UUID.randomUUID().toString();
    long now = System.currentTimeMillis();
    store.create(new NewUser(id, id + "@example.com", "Writer", "viewer", now), Optional.empty());
    for (int e = 0; e < 3; e++) {
      store.recordActivity(id, "page_view", "/page/" + e, now, Optional.empty());
    }
    store.update(id, new UserChanges(Optional.empty(), Optional.of("Renamed"), Optional.empty()),
        Optional.empty(), now);
    if (n % 2 == 0) {
      store.delete(id, Optional.empty(), now);
    }
    return n + 1;
  }

  /**
   * Compacts the closed database, so that its size is the data it holds. Tried twice: H2's SHUTDOWN COMPACT
   * once failed with ClosedByInterruptException on this machine, with nothing interrupting it that we know of.
   */
  private static void compact(Variant variant, String url) {
    SQLException failure = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      Thread.interrupted(); // clears a stray interrupt, which would close H2's file channel mid-write
      try (Connection connection = DriverManager.getConnection(url, JdbcSettings.DEFAULT_USER, "");
          Statement sql = connection.createStatement()) {
        sql.execute(variant.compact());
        return;
      } catch (SQLException e) {
        System.err.println("bench: compacting " + url + " failed (attempt " + attempt + "): " + e);
        failure = e;
      }
    }
    throw new IllegalStateException("cannot compact " + url, failure);
  }

  /**
   * Runs {@link KilledWriter} on a fresh database of {@code variant}, kills it after {@value #KILL_AFTER}
   * acknowledged creates and counts the acknowledged users missing from the reopened database.
   */
  private static String kill(Variant variant) throws Exception {
    Path directory = Files.createTempDirectory("embedded-store-kill");
    String url = variant.url(directory);
    String java = ServerProcess.jdkTool("java");
    Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        KilledWriter.class.getName(), url, Boolean.toString(variant.sqliteHousekeeping()))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while (acknowledged.size() < KILL_AFTER && (line = out.readLine()) != null) {
        acknowledged.add(line);
      }
    } finally {
      writer.destroyForcibly(); // SIGKILL on Linux
      writer.waitFor(30, TimeUnit.SECONDS);
    }
    long missing;
    try (JdbcUserStore reopened = variant.open(JdbcSettings.newBuilder().setJdbcUrl(url).build())) {
      missing = acknowledged.stream().filter(id -> reopened.find(id).isEmpty()).count();
    }
    Directories.deleteTree(directory);
    return missing + " of " + acknowledged.size();
  }

  /** Creates users one at a time until killed, printing the id of each once {@code create} has returned. */
  static final class KilledWriter {
    public static void main(String[] args) {
      JdbcUserStore store = StoreVariants.open(JdbcSettings.newBuilder().setJdbcUrl(args[0]).build(),
          Boolean.parseBoolean(args[1]));
      for (int i = 0; ; i++) {
        store.create(new NewUser("u" + i, i + "@example.com", "N", "viewer", i), Optional.empty());
        System.out.println("u" + i);
        System.out.flush();
      }
    }
  }

  private static long size(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException e) {
          return 0; // deleted while listing
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
  }
}
