package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.server.store.jdbc.JdbcSettings;
import io.github.usergrpc.user.server.store.jdbc.JdbcUserStore;
import io.github.usergrpc.user.service.store.NewUser;
import io.github.usergrpc.user.service.store.UserChanges;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How big the embedded H2 file grows under sustained writes, against the data it holds, for each way of
 * opening it. Writers create users, record activity, rename and delete users through the store as fast as
 * they can; the files are sampled every 250 ms. The data held is the size after {@code SHUTDOWN COMPACT}.
 * Variants run one after the other in each round, rounds alternate, so that they share the machine's
 * state.
 */
final class EmbeddedStoreBench {

  /** A way to open the file: a name and what it adds to the URL. */
  private record Variant(String name, String urlSuffix) {}

  private record Result(Variant variant, long peakBytes, long closedBytes, long dataBytes, long operations,
      Duration elapsed) {

    double ratio() {
      return (double) peakBytes / dataBytes;
    }

    double operationsPerSecond() {
      return operations / (elapsed.toNanos() / 1e9);
    }
  }

  private static final List<Variant> VARIANTS = List.of(
      new Variant("default (WRITE_DELAY=0, compaction every 500 ms)", ""),
      new Variant("RETENTION_TIME=0", ";RETENTION_TIME=0"));

  private EmbeddedStoreBench() {}

  static void run(Args args) throws Exception {
    Duration duration = args.seconds("duration", 40);
    int writers = args.integer("writers", 16);
    int rounds = args.integer("rounds", 2);
    String loadBefore = Machine.loadAverage();
    List<Result> results = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (Variant variant : VARIANTS) {
        Result result = measure(variant, duration, writers);
        System.out.printf(Locale.ROOT, "round %d %s: peak %s, closed %s, data %s, %.1fx, %.0f ops/s%n", round + 1,
            variant.name(), mib(result.peakBytes()), mib(result.closedBytes()), mib(result.dataBytes()),
            result.ratio(), result.operationsPerSecond());
        results.add(result);
      }
    }
    StringBuilder table = new StringBuilder("| variant | round | peak file | after close | data held | peak / data"
        + " | store operations/s |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      table.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %.1fx | %.0f |%n", r.variant().name(),
          i / VARIANTS.size() + 1, mib(r.peakBytes()), mib(r.closedBytes()), mib(r.dataBytes()), r.ratio(),
          r.operationsPerSecond()));
    }
    BenchmarksFile.writeSection("embedded-store", "## Embedded store: H2 file size under sustained writes\n\n"
        + Machine.header(args.string("command", "scripts/bench/embedded-store.sh"), loadBefore)
        + "- Load: " + writers + " writer threads on the store (no gRPC), each repeating: create a user, record"
        + " three activity events, rename the user, delete every second user; " + duration.toSeconds()
        + " s per variant, " + rounds + " rounds, variants alternating. The file is sampled every 250 ms;"
        + " \"data held\" is its size after `SHUTDOWN COMPACT`. Target (issue 16): peak within 4x the data.\n\n"
        + table);
  }

  private static Result measure(Variant variant, Duration duration, int writers) throws Exception {
    Path directory = Files.createTempDirectory("embedded-store-bench");
    String url = "jdbc:h2:file:" + directory.resolve("users") + variant.urlSuffix();
    AtomicLong peak = new AtomicLong();
    AtomicLong operations = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    long start;
    long elapsed;
    try (JdbcUserStore store = JdbcUserStore.open(JdbcSettings.newBuilder().setJdbcUrl(url).build())) {
      sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(size(directory), Math::max), 0, 250,
          TimeUnit.MILLISECONDS);
      start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        futures.add(pool.submit(() -> {
          long n = 0;
          while (running.get()) {
            String id = UUID.randomUUID().toString();
            long now = System.currentTimeMillis();
            store.create(new NewUser(id, id + "@example.com", "Writer", "viewer", now), Optional.empty());
            for (int e = 0; e < 3; e++) {
              store.recordActivity(id, "page_view", "/page/" + e, now, Optional.empty());
            }
            store.update(id, new UserChanges(Optional.empty(), Optional.of("Renamed"), Optional.empty()),
                Optional.empty(), now);
            if (n++ % 2 == 0) {
              store.delete(id, Optional.empty(), now);
            }
            operations.addAndGet(6);
          }
          return null;
        }));
      }
      Thread.sleep(duration.toMillis());
      running.set(false);
      for (Future<?> future : futures) {
        future.get(60, TimeUnit.SECONDS);
      }
      elapsed = System.nanoTime() - start;
      peak.accumulateAndGet(size(directory), Math::max);
    } finally {
      running.set(false);
      pool.shutdownNow();
      sampler.shutdownNow();
    }
    long closed = size(directory);
    try (Connection connection = DriverManager.getConnection(url, JdbcSettings.DEFAULT_USER, "");
        Statement sql = connection.createStatement()) {
      sql.execute("SHUTDOWN COMPACT");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot compact " + url, e);
    }
    long data = size(directory);
    delete(directory);
    return new Result(variant, peak.get(), closed, data, operations.get(), Duration.ofNanos(elapsed));
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

  private static void delete(Path directory) throws IOException {
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(file);
      }
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
  }
}
