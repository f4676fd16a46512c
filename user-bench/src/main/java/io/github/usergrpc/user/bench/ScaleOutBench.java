package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Scale-out (issue 18): three server replicas ({@code user-server.jar} processes) on one PostgreSQL database,
 * with their activity on NATS JetStream ({@code --activity}: the local single node, and a three-node cluster
 * with an R3 stream) and, in the same round, in the database only: as by default, replicas waking each other
 * with LISTEN/NOTIFY, and with {@code --db-notify=false}, polling only.
 *
 * <p>Per round and mode: three replicas on a new schema (and, for JetStream, a stream of the run's own on the
 * local NATS server, deleted afterwards, or a cluster of the round's own, {@link NatsCluster}); {@code watchers}
 * users, each watched live on one replica (user {@code i} on replica {@code i % 3}); after an unmeasured
 * warm-up, {@code updates} UpdateUser calls at {@code rate}/s, each sent through another replica than its
 * user's watcher ({@code (i + 1) % 3}): latency from sending the update to the watcher receiving its
 * {@code user.updated}. Then RecordActivity in a closed loop at {@code clients} clients, their connections
 * spread over the three replicas, over {@value #ACTIVITY_USERS} users.
 */
final class ScaleOutBench {

  private static final int REPLICAS = 3;
  /** The users RecordActivity is spread over, as in the write benchmark. */
  private static final int ACTIVITY_USERS = 200;
  private static final String JETSTREAM = "JetStream";
  /** JetStream on a three-node cluster the bench starts each round ({@link NatsCluster}), R3 stream. */
  private static final String JETSTREAM_R3 = "JetStream-R3";
  private static final String NOTIFY = "database";
  private static final String POLL = "database-poll";
  private static final List<String> MODES = List.of(JETSTREAM, JETSTREAM_R3, NOTIFY, POLL);
  /** The modes a run must have measured to replace the section of BENCHMARKS.md. */
  private static final List<String> RECORDED_MODES = List.of(JETSTREAM, NOTIFY, POLL);

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/scale-out");
  private final String database = "scaleout_" + ProcessHandle.current().pid();
  private final String nats;
  private final int rounds;
  private final int watchers;
  private final int updates;
  private final int rate;
  private final int clients;
  private final Duration duration;
  private final Duration warmup;
  /**
   * Unmeasured updates before the measured ones, at {@link #warmupRate}/s: enough calls for the JIT to compile
   * the replicas' write and delivery paths (a quarter of {@code updates} at 50/s, about 80 per replica, left
   * them interpreted or C1-compiled while measuring, with compilations competing for the two cores).
   */
  private final int warmupUpdates;
  private final int warmupRate;
  /**
   * The longest warm-up: after {@link #warmupUpdates} it goes on until the JITs of the replicas and of the bench
   * JVM are quiet ({@link JitQuiet}). After 12,000 updates at 300/s (40 s) the replicas' compiler threads still
   * took 90–160 ms of CPU per second each while the updates were measured (2026-12-07 13:41 UTC): on two cores,
   * beside the event loops whose wake-ups make the latency.
   */
  private final Duration warmupMax;
  private final List<JitQuiet.WarmUp> warmUps = new ArrayList<>();
  private final String command;
  /** The server jar (its file name must be user-server.jar, see ServerProcess): another build to compare. */
  private final Path jar;
  /** JVM flags of the replicas, separated by spaces ({@code --replica-jvm-args}). */
  private final List<String> replicaJvmArgs;
  /** More server options of the replicas, separated by spaces ({@code --replica-args}), after the bench's. */
  private final List<String> replicaArgs;
  /** Log the replicas' GC pauses and report them, with the bench JVM's and each process's CPU, per round. */
  private final boolean gc;
  private final List<String> modes;
  /** Collect the bench JVM's heap before the measured updates ({@code --bench-gc-first}). */
  private final boolean benchGcFirst;
  /** "mode|measurement" to the values of the rounds. */
  private final Map<String, List<Double>> results = new LinkedHashMap<>();
  private final AtomicLong errors = new AtomicLong();
  private int schemas;

  private ScaleOutBench(Args args) {
    nats = args.string("nats", "nats://127.0.0.1:4222");
    rounds = args.integer("rounds", 3);
    watchers = args.integer("watchers", 1_000);
    updates = args.integer("updates", 1_000);
    rate = args.integer("rate", 50);
    clients = args.integer("clients", 16);
    duration = args.seconds("duration", 10);
    warmup = args.seconds("warmup", 20);
    warmupUpdates = args.integer("warmup-updates", 3_000);
    warmupRate = args.integer("warmup-rate", 300);
    warmupMax = args.seconds("warmup-max", 120);
    command = args.string("command", "scripts/bench/scale-out.sh");
    jar = Path.of(args.string("server-jar", root.resolve("user-server/target/user-server.jar").toString()));
    String jvmArgs = args.string("replica-jvm-args", "").trim();
    replicaJvmArgs = jvmArgs.isEmpty() ? List.of() : List.of(jvmArgs.split(" +"));
    String serverArgs = args.string("replica-args", "").trim();
    replicaArgs = serverArgs.isEmpty() ? List.of() : List.of(serverArgs.split(" +"));
    gc = args.flag("gc");
    benchGcFirst = args.flag("bench-gc-first");
    modes = List.of(args.string("modes", String.join(",", MODES)).split(","));
    if (!MODES.containsAll(modes)) {
      throw new IllegalArgumentException("--modes: " + modes + " (expected some of " + MODES + ")");
    }
  }

  /** The shortest warm-up: {@link #warmupUpdates} at {@link #warmupRate}/s. */
  private Duration warmupMinimum() {
    return Duration.ofMillis(1000L * warmupUpdates / warmupRate);
  }

  static void run(Args args) throws Exception {
    new ScaleOutBench(args).runAll();
  }

  private void runAll() throws Exception {
    String loadBefore = Machine.loadAverage();
    if (!Files.isRegularFile(jar)) {
      throw new IOException(jar + " is missing: build it first (mvnw -DskipTests package -pl user-server -am)");
    }
    Files.createDirectories(work);
    LoadBench.psql("postgres", "CREATE DATABASE " + database);
    try {
      for (int round = 1; round <= rounds; round++) {
        for (String mode : modes) {
          round(jar, mode, round);
        }
      }
    } finally {
      LoadBench.psql("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
    String report = report(loadBefore);
    if (modes.containsAll(RECORDED_MODES) && clients > 0) {
      BenchmarksFile.writeSection("scale-out", report);
    } else {
      System.out.println("(a diagnostic run: some modes or no RecordActivity; BENCHMARKS.md left as it is)");
    }
    System.out.println(report);
  }

  private void round(Path jar, String mode, int round) throws Exception {
    schemas++;
    String schema = "run" + schemas;
    LoadBench.psql(database, "CREATE SCHEMA " + schema);
    String stream = "BENCH_" + ProcessHandle.current().pid() + "_" + schemas;
    NatsCluster cluster = mode.equals(JETSTREAM_R3) ? NatsCluster.start(3, work.resolve("nats-r3-" + round)) : null;
    String java = ServerProcess.jdkTool("java");
    List<ServerProcess> replicas = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    List<Path> gcLogs = new ArrayList<>();
    try {
      for (int r = 0; r < REPLICAS; r++) {
        int port = ServerProcess.freePort();
        String name = mode + "-" + round + "-replica" + r;
        List<String> server = new ArrayList<>(List.of(java));
        server.addAll(replicaJvmArgs);
        if (gc) {
          Path gcLog = work.resolve(name + "-gc.log");
          Files.deleteIfExists(gcLog);
          gcLogs.add(gcLog);
          server.add(GcPauses.jvmFlag(gcLog));
        }
        server.addAll(List.of("-jar", jar.toString(), "--port",
            Integer.toString(port), "--store", "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema="
            + schema, "--db-user", "postgres"));
        if (mode.equals(JETSTREAM)) {
          server.addAll(List.of("--activity", nats, "--activity-stream", stream));
        } else if (cluster != null) {
          server.addAll(List.of("--activity", cluster.url(), "--activity-stream", stream, "--activity-replicas",
              "3"));
        } else if (mode.equals(POLL)) {
          server.addAll(List.of("--db-notify", "false"));
        }
        server.addAll(replicaArgs);
        replicas.add(ServerProcess.start(name, "", server, port, work));
        channels.add(Calls.channelBuilder(port).build());
      }
      List<UserResponse> users = WatchStreams.createUsers(channels, Math.max(watchers, ACTIVITY_USERS));
      WatchStreams streams = new WatchStreams();
      for (int i = 0; i < watchers; i++) {
        streams.open(channels.get(i % REPLICAS), users.get(i).getId());
      }
      streams.awaitStarted(Duration.ofMinutes(3));
      List<UserResponse> watched = users.subList(0, watchers);
      // Update i is of user i % watchers, watched on replica (i % watchers) % 3; it goes through the next one.
      JitQuiet.WarmUp warmUp = JitQuiet.warmUp(JitQuiet.withThisJvm(replicas), warmupMinimum(), warmupMax,
          length -> WatchStreams.updateAndMeasure(i -> channels.get((i % watchers + 1) % REPLICAS), watched, streams,
              (int) (length.toMillis() * warmupRate / 1000), warmupRate));
      warmUps.add(warmUp);
      System.out.printf("%s round %d: %s%n", mode, round, warmUp);
      if (benchGcFirst) {
        // The measuring client's own young collection, paused for up to 200 ms on the loaded machine, delayed
        // the deliveries of the 10 updates under way or arriving meanwhile: the whole 1% tail. Collected now, its
        // young generation starts the measured 20 s empty. The replicas' collections are left to happen.
        System.gc();
      }
      ProcessCpu cpu = ProcessCpu.ofRun(replicas, database);
      GcPauses.Recorder benchPauses = GcPauses.recordHere();
      long measuredFrom = System.currentTimeMillis();
      cpu.start();
      Histogram latency = WatchStreams.updateAndMeasure(i -> channels.get((i % watchers + 1) % REPLICAS), watched,
          streams, updates, rate);
      String cpuReport = cpu.report();
      long measuredTo = System.currentTimeMillis();
      GcPauses benchGc = benchPauses.stop();
      System.out.printf(Locale.ROOT, "%s round %d, measured updates: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f ms"
          + " (load %s)%n  CPU: %s%n", mode, round, latency.getValueAtPercentile(50) / 1e6,
          latency.getValueAtPercentile(90) / 1e6, latency.getValueAtPercentile(99) / 1e6,
          latency.getMaxValue() / 1e6, Machine.loadAverage(), cpuReport);
      System.out.println("  " + streams.slowestSplit());
      if (gc) {
        Map<String, GcPauses> pauses = new LinkedHashMap<>();
        for (int r = 0; r < gcLogs.size(); r++) {
          pauses.put("replica" + r, GcPauses.fromLog(gcLogs.get(r), measuredFrom, measuredTo));
        }
        pauses.put("bench JVM", benchGc);
        pauses.forEach((name, p) -> System.out.println("  gc " + name + " " + p.summary()));
        System.out.println("  " + slowestAgainstPauses(streams.deliveries(), pauses));
      }
      errors.addAndGet(streams.errors.get() + streams.undelivered.get());
      if (streams.errors.get() + streams.undelivered.get() > 0) {
        System.out.printf("%s round %d: streams ended by the server: %s; events not delivered (warm-up included):"
            + " %d; failed updates: %s%n", mode, round, streams.closeCodes, streams.undelivered.get(),
            streams.failedUpdates);
        streams.firstCloses.forEach(close -> System.out.println("  stream ended " + close));
        if (streams.undelivered.get() > 0) {
          System.out.print("  " + streams.explainMissing(channels, Duration.ofSeconds(30), 10));
        }
      }
      streams.cancelFrom(0);
      record(mode, "p50", latency.getValueAtPercentile(50) / 1e6);
      record(mode, "p99", latency.getValueAtPercentile(99) / 1e6);
      record(mode, "max", latency.getMaxValue() / 1e6);

      if (clients == 0) {
        return;
      }
      List<String> activityUsers = users.subList(0, ACTIVITY_USERS).stream().map(UserResponse::getId).toList();
      List<ManagedChannel> loops = new ArrayList<>();
      try {
        for (int c = 0; c < clients; c++) {
          loops.add(Calls.channelBuilder(portOf(channels, c % REPLICAS)).build());
        }
        LoadGenerator.Result result = LoadGenerator.closedLoop(recordActivity(loops, activityUsers), clients, warmup,
            duration);
        errors.addAndGet(result.errors());
        record(mode, "record", result.throughput());
      } finally {
        loops.forEach(ManagedChannel::shutdownNow);
      }
      System.out.printf(Locale.ROOT, "%s round %d: cross-replica p50 %.2f ms, p99 %.2f ms; RecordActivity %.0f/s"
          + " at %d clients (load %s)%n", mode, round, latency.getValueAtPercentile(50) / 1e6,
          latency.getValueAtPercentile(99) / 1e6, results.get(mode + "|record").get(round - 1), clients,
          Machine.loadAverage());
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      replicas.forEach(ServerProcess::close);
      if (mode.equals(JETSTREAM)) {
        deleteStream(nats, stream);
      }
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /**
   * Which processes were paused by their GC while the slowest 1% of the updates (from sending to delivery)
   * were under way, against how many of all the updates overlap a pause: the share of the tail that GC
   * explains.
   */
  private static String slowestAgainstPauses(List<long[]> deliveries, Map<String, GcPauses> pauses) {
    if (deliveries.isEmpty()) {
      return "no deliveries";
    }
    // System.nanoTime to epoch milliseconds, as the pauses are.
    double offsetMillis = System.currentTimeMillis() - System.nanoTime() / 1e6;
    List<long[]> slowest = WatchStreams.slowestPercent(deliveries);
    Map<String, Integer> byProcess = new LinkedHashMap<>();
    int slowPaused = 0;
    for (long[] d : slowest) {
      boolean paused = false;
      for (Map.Entry<String, GcPauses> process : pauses.entrySet()) {
        double from = d[0] / 1e6 + offsetMillis;
        double to = d[1] / 1e6 + offsetMillis;
        if (process.getValue().pauses().stream().anyMatch(p -> p.overlaps(from, to))) {
          byProcess.merge(process.getKey(), 1, Integer::sum);
          paused = true;
        }
      }
      slowPaused += paused ? 1 : 0;
    }
    long allPaused = deliveries.stream().filter(d -> pauses.values().stream().anyMatch(g -> g.pauses().stream()
        .anyMatch(p -> p.overlaps(d[0] / 1e6 + offsetMillis, d[1] / 1e6 + offsetMillis)))).count();
    long[] fastestOfSlow = slowest.get(slowest.size() - 1);
    return String.format(Locale.ROOT, "slowest %d updates (>= %.1f ms): %d overlap a GC pause %s; of all %d"
        + " updates, %.1f%% overlap one", slowest.size(), (fastestOfSlow[1] - fastestOfSlow[0]) / 1e6, slowPaused,
        byProcess, deliveries.size(), 100.0 * allPaused / deliveries.size());
  }

  /** Returns the port of replica {@code index}: the channel's authority. */
  private static int portOf(List<ManagedChannel> channels, int index) {
    String authority = channels.get(index).authority();
    return Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1));
  }

  /** RecordActivity round robin over the users and the connections. */
  private static LoadGenerator.AsyncCall recordActivity(List<ManagedChannel> channels, List<String> users) {
    List<UserServiceGrpc.UserServiceStub> stubs = channels.stream().map(UserServiceGrpc::newStub).toList();
    AtomicLong next = new AtomicLong();
    return done -> {
      long i = next.getAndIncrement();
      RecordActivityRequest request = RecordActivityRequest.newBuilder()
          .setUserId(users.get((int) (i % users.size()))).setAction("page_view").setDetails("/bench").build();
      stubs.get((int) (i % stubs.size())).withDeadlineAfter(10, TimeUnit.SECONDS).recordActivity(request,
          Calls.observer(done));
    };
  }

  /** Deletes a stream of a run on the NATS server at {@code nats}; says so when it cannot. */
  static void deleteStream(String nats, String stream) throws IOException, InterruptedException {
    try (Connection connection = Nats.connect(new Options.Builder().server(nats).build())) {
      connection.jetStreamManagement().deleteStream(stream);
    } catch (JetStreamApiException e) {
      System.out.println("the stream " + stream + " was not deleted: " + e.getErrorDescription());
    }
  }

  private void record(String mode, String measurement, double value) {
    results.computeIfAbsent(mode + "|" + measurement, key -> new ArrayList<>()).add(value);
  }

  private List<Double> values(String mode, String measurement) {
    return results.getOrDefault(mode + "|" + measurement, List.of());
  }

  private String report(String loadBefore) {
    StringBuilder md = new StringBuilder("## Scale-out: three replicas, activity on JetStream vs the database"
        + " (issue 18)\n\n").append(Machine.header(command, loadBefore))
        .append("- Setup: three `user-server.jar` processes (default JVM flags, nothing pinned) on one schema of a")
        .append(" database of the run's own on the shared PostgreSQL (127.0.0.1:5432); JetStream mode adds")
        .append(" `--activity ").append(nats).append(" --activity-stream <a stream of the run's own>` (the")
        .append(" machine's nats-server 2.9.10, one node, R1); the R3 mode runs the same binary as a three-node")
        .append(" cluster that the bench starts on free loopback ports for each round (fresh store directories, same")
        .append(" two cores) and adds `--activity <its three URLs> --activity-replicas 3`; the database mode is the")
        .append(" default (the activity")
        .append(" table; replicas wake each other with LISTEN/NOTIFY after their commits and poll every second as")
        .append(" a backstop), and the poll-only mode adds `--db-notify=false` (other replicas' events found by the")
        .append(" 100 ms poll alone). The bench JVM (watchers, writers) runs beside them. Per round and mode (")
        .append(rounds).append(" rounds, modes ").append(String.join(", ", modes))
        .append(", fresh replicas and schema each time): ")
        .append(String.format("%,d", watchers)).append(" users, each watched live on one replica; ")
        .append("a warm-up of UpdateUser calls at ").append(warmupRate).append("/s, ")
        .append(JitQuiet.describe(warmUps, warmupMinimum(), warmupMax,
            "each of the three replicas' and the bench JVM's"))
        .append(", then ").append(String.format("%,d", updates))
        .append(" UpdateUser calls at ").append(rate).append("/s, each through another replica than its")
        .append(" watcher's: latency from sending the update to the watcher receiving `user.updated`. Then")
        .append(" RecordActivity, closed loop, ").append(clients).append(" clients spread over the three replicas, ")
        .append(ACTIVITY_USERS).append(" users, ").append(warmup.toSeconds()).append(" s warm-up, ")
        .append(duration.toSeconds()).append(" s measured.\n\n");
    md.append("| measurement | JetStream | JetStream, R3 cluster | database (NOTIFY) | database, poll only"
        + " | JetStream / database | database / poll only |\n|---|---|---|---|---|---|---|\n");
    for (String[] row : List.of(new String[] {"p50", "cross-replica mutation-to-event p50 (ms)", "%.2f"},
        new String[] {"p99", "cross-replica mutation-to-event p99 (ms)", "%.2f"},
        new String[] {"max", "cross-replica mutation-to-event max (ms)", "%.2f"},
        new String[] {"record", "RecordActivity at " + clients + " clients (calls/s)", "%.0f"})) {
      md.append("| ").append(row[1]);
      for (String mode : MODES) {
        List<Double> values = values(mode, row[0]);
        md.append(" | ").append(values.isEmpty() ? "not measured" : Stats.spread(values, row[2]));
      }
      md.append(" | ").append(ratio(values(JETSTREAM, row[0]), values(NOTIFY, row[0])))
          .append(" | ").append(ratio(values(NOTIFY, row[0]), values(POLL, row[0]))).append(" |\n");
    }
    md.append("| stream errors, events not delivered, failed calls | ").append(errors.get())
        .append(" (all modes) | | | | | |\n");
    md.append("\nCells are median (min–max, n) over the rounds; ratios per round, then median. Targets: cross-replica")
        .append(" p99 < 20 ms at ").append(String.format("%,d", watchers)).append(" watchers on JetStream: ")
        .append(verdict(values(JETSTREAM, "p99"))).append(" on the single node, ")
        .append(verdict(values(JETSTREAM_R3, "p99"))).append(" on the R3 cluster; in the database mode with")
        .append(" LISTEN/NOTIFY: ").append(verdict(values(NOTIFY, "p99"))).append(".\n");
    return md.toString();
  }

  private static String ratio(List<Double> numerators, List<Double> denominators) {
    return numerators.isEmpty() || denominators.isEmpty() ? "–"
        : Stats.spread(Stats.ratios(numerators, denominators), "%.2fx");
  }

  private static String verdict(List<Double> p99) {
    return p99.isEmpty() ? "not measured" : Stats.median(p99) < 20 ? "met (median of the rounds)"
        : "**not met** (median of the rounds)";
  }
}
