package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * End-to-end load over loopback, every server in its own process pinned to one core and the load generators
 * (this JVM, h2load, pgbench) pinned to the other (scripts/bench/load.sh starts this JVM with taskset).
 *
 * <p>Each round starts every target afresh, creates 100 users through it, then measures, side by side:
 * h2load sending one fixed gRPC frame (GetUser, ListUsers) and the Java load tool (raw async stub; GetUser,
 * ListUsers, CreateUser) in a closed loop at 16 connections, one call in flight on each; and {@code pgbench
 * -S} on the same PostgreSQL database. After the rounds, an open loop at half of the seed server's
 * saturation rate (its median h2load GetUser rate) measures GetUser latency on each server.
 */
final class LoadBench {

  record Target(String name, String label, List<String> methods) {}

  record Run(String target, String method, String tool, int round, double rps, long errors,
      Optional<Histogram> latency) {}

  private static final Target JAVA = new Target("java-memory", "user-server, memory store",
      List.of("GetUser", "ListUsers", "CreateUser"));
  private static final Target NODE = new Target("node-seed", "seed tutorial Node.js server",
      List.of("GetUser", "ListUsers", "CreateUser"));
  private static final Target BARE = new Target("bare-grpc-java", "bare grpc-java, constant GetUser",
      List.of("GetUser"));
  private static final Target POSTGRES = new Target("java-postgres", "user-server, PostgreSQL store",
      List.of("GetUser"));
  // Issue 17 (section "executor"): the direct-executor ceiling, and the server of another build (main) as
  // "before", side by side in the same rounds.
  private static final Target BARE_DIRECT = new Target("bare-direct",
      "bare grpc-java, constant GetUser, `directExecutor()` (the new ceiling)", List.of("GetUser"));
  private static final Target JAVA_BEFORE = new Target("java-memory-before", "user-server before (--baseline-jar),"
      + " memory store", List.of("GetUser"));
  private static final Target JAVA_NIO = new Target("java-memory-nio", "user-server, memory store, NIO instead of"
      + " epoll (`-Dio.netty.transport.noNative=true`)", List.of("GetUser"));
  // The server records metrics only where a port serves them; this one does, as a server scraped by Prometheus.
  private static final Target JAVA_METRICS = new Target("java-memory-metrics", "user-server, memory store, metrics"
      + " served and so recorded (`--metrics-port 0`)", List.of("GetUser"));
  private static final Target POSTGRES_BEFORE = new Target("java-postgres-before", "user-server before"
      + " (--baseline-jar), PostgreSQL store", List.of("GetUser"));

  private static final String PG_DATABASE = "userbench";
  /**
   * The load before each measured run, after {@link #warmUp}: h2load opens its connections and the Java tool
   * has its first calls in flight before the clock starts.
   */
  static final Duration MEASURED_WARM_UP = Duration.ofSeconds(1);
  private static final Map<String, String> PGBENCH_SCHEMA = Map.of("PGOPTIONS", "-c search_path=pgbench");
  private static final Pattern H2LOAD_RPS = Pattern.compile("finished in [0-9.]+m?s, ([0-9.]+) req/s");
  static final Pattern H2LOAD_REQUESTS = Pattern.compile(
      "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");
  private static final Pattern PGBENCH_TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection");

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/load");
  private final int rounds;
  private final Duration duration;
  /** The shortest warm-up of a closed-loop run; it goes on until the server's JIT is quiet ({@link JitQuiet}). */
  private final Duration warmup;
  private final Duration warmupMax;
  private final List<JitQuiet.WarmUp> warmUps = new ArrayList<>();
  private final int connections;
  private final int streams;
  private final Optional<Path> baselineJar;
  private final boolean executorSection;
  private final String serverCpu;
  private final String clientCpu;
  private final boolean h2load;
  private final boolean postgres;
  private final String command;
  private final List<String> only;
  private final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
  private final List<Run> runs = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  /**
   * The server's CPU use over each measured GetUser run, as a share of one core, by target and
   * tool: whether a rate is the server's capacity (near 100 % on its one core) or something else's limit.
   */
  private final Map<String, List<Double>> serverCoreUse = new LinkedHashMap<>();

  private LoadBench(Args args) throws IOException, InterruptedException {
    rounds = args.integer("rounds", 3);
    duration = args.seconds("duration", 10);
    warmup = args.seconds("warmup", 20);
    warmupMax = args.seconds("warmup-max", 90);
    connections = args.integer("connections", 16);
    streams = args.integer("streams", 1);
    String baseline = args.string("baseline-jar", "");
    baselineJar = baseline.isEmpty() ? Optional.empty() : Optional.of(Path.of(baseline).toAbsolutePath());
    executorSection = args.string("section", "load").equals("executor");
    serverCpu = args.string("server-cpu", "0");
    clientCpu = args.string("client-cpu", "1");
    command = args.string("command", "scripts/bench/load.sh");
    only = List.of(args.string("targets", executorSection
        ? "java-memory,node-seed,bare-grpc-java,bare-direct,java-memory-metrics,java-memory-nio,java-postgres,"
            + "java-memory-before,java-postgres-before"
        : "java-memory,node-seed,bare-grpc-java,java-postgres").split(","));
    h2load = onPath("h2load") && onPath("curl");
    if (!h2load) {
      notes.add("h2load or curl is missing (apt-get install nghttp2-client curl): only the Java load tool ran.");
    }
    postgres = !args.flag("no-postgres") && prepareDatabase();
  }

  static void run(Args args) throws Exception {
    new LoadBench(args).runAll();
  }

  private void runAll() throws Exception {
    String loadBefore = Machine.loadAverage();
    Files.createDirectories(work);
    List<Target> targets = targets();
    warmLoadTool();
    for (int round = 1; round <= rounds; round++) {
      // Each round starts one target later: a target measured first in every round (2026-12-07, 12:11 UTC) made
      // 0.86x of the same build measured fourth, a difference no code explained.
      List<Target> inOrder = new ArrayList<>(targets);
      Collections.rotate(inOrder, -(round - 1));
      for (Target target : inOrder) {
        closedLoop(target, round);
      }
      if (postgres && only.contains(POSTGRES.name())) {
        pgbench(round);
      }
    }
    if (executorSection) {
      String report = executorReport(loadBefore);
      BenchmarksFile.writeSection("executor", report);
      System.out.println(report);
      return;
    }
    if (!only.containsAll(List.of(JAVA.name(), NODE.name(), BARE.name()))) {
      System.out.println("--targets leaves out a server the report compares: BENCHMARKS.md is not written");
      return;
    }
    double seedRate = Stats.median(rates(NODE.name(), "GetUser", h2load ? "h2load" : "java"));
    double rate = Math.floor(seedRate / 2);
    Map<String, Histogram> openLoop = new LinkedHashMap<>();
    for (int round = 1; round <= rounds; round++) {
      for (Target target : List.of(JAVA, NODE, BARE)) {
        Histogram histogram = openLoop(target, round, rate);
        openLoop.computeIfAbsent(target.label(), t -> new Histogram(histogram.getHighestTrackableValue(), 3))
            .add(histogram);
      }
    }
    List<LatencyChart.Series> series = new ArrayList<>();
    openLoop.forEach((label, histogram) -> series.add(LatencyChart.series(label, histogram)));
    LatencyChart.render("GetUser latency by percentile, open loop at " + (long) rate + " calls/s",
        "half of the seed Node server's saturation rate; 16 connections over loopback; server on core "
            + serverCpu + ", load tool on core " + clientCpu + "; " + rounds + " runs merged; " + Machine.now(),
        series, root.resolve("docs/latency.png"));
    BenchmarksFile.writeSection("load", report(loadBefore, rate));
    System.out.println(report(loadBefore, rate));
  }

  private List<Target> targets() {
    List<Target> targets = new ArrayList<>(List.of(JAVA, NODE, BARE));
    if (executorSection) {
      targets.add(BARE_DIRECT);
      targets.add(JAVA_METRICS);
      targets.add(JAVA_NIO);
      baselineJar.ifPresent(jar -> targets.add(JAVA_BEFORE));
    }
    if (postgres) {
      targets.add(POSTGRES);
      if (executorSection && baselineJar.isPresent()) {
        targets.add(POSTGRES_BEFORE);
      }
    }
    targets.removeIf(target -> !only.contains(target.name()));
    return targets;
  }

  /** One unmeasured closed-loop run of each call against our server, so that round 1 finds this JVM warm. */
  private void warmLoadTool() throws Exception {
    int port = ServerProcess.freePort();
    try (ServerProcess server = start(JAVA, port, 0);
        Calls calls = new Calls(port, connections, false, "bench-" + runId + "-warm")) {
      UserResponse user = calls.seedUsers(100);
      for (LoadGenerator.AsyncCall call : List.of(calls.getUser(user.getId()), calls.listUsers(), calls.createUser())) {
        LoadGenerator.closedLoop(call, connections, warmup, warmup);
      }
      LoadGenerator.openLoop(calls.getUser(user.getId()), 1000, warmup, warmup, 10_000);
    }
  }

  // --- one target, closed loop ----------------------------------------------------------------------------

  private void closedLoop(Target target, int round) throws Exception {
    int port = ServerProcess.freePort();
    try (ServerProcess server = start(target, port, round);
        Calls calls = new Calls(port, connections, false, "bench-" + runId + "-" + target.name() + "-" + round)) {
      UserResponse user =
          target.equals(BARE) || target.equals(BARE_DIRECT) ? BareServer.CONSTANT : calls.seedUsers(100);
      for (String method : target.methods()) {
        if (executorSection && !method.equals("GetUser")) {
          continue;
        }
        if (h2load && !method.equals("CreateUser")) {
          Path frame = writeFrame(method, user.getId());
          String path = "/user.UserService/" + method;
          checkGrpcStatus(port, path, frame, target, method);
          warmUp(server, target, method, "h2load", step -> runH2load(port, path, frame, step, Duration.ZERO));
          CoreUse use = CoreUse.start(server.pid());
          double rps = runH2load(port, path, frame, duration, MEASURED_WARM_UP);
          recordCoreUse(target, method, "h2load", use);
          runs.add(new Run(target.name(), method, "h2load", round, rps, 0, Optional.empty()));
          log(target, method, "h2load", round, rps, null);
        }
        LoadGenerator.AsyncCall call = switch (method) {
          case "GetUser" -> calls.getUser(user.getId());
          case "ListUsers" -> calls.listUsers();
          default -> calls.createUser();
        };
        warmUp(server, target, method, "java",
            step -> LoadGenerator.closedLoop(call, connections * streams, step, Duration.ZERO));
        CoreUse use = CoreUse.start(server.pid());
        LoadGenerator.Result result = LoadGenerator.closedLoop(call, connections * streams, MEASURED_WARM_UP,
            duration);
        recordCoreUse(target, method, "java", use);
        runs.add(new Run(target.name(), method, "java", round, result.throughput(), result.errors(),
            Optional.of(result.latency())));
        log(target, method, "java", round, result.throughput(), result);
      }
    }
  }

  private Histogram openLoop(Target target, int round, double rate) throws Exception {
    int port = ServerProcess.freePort();
    try (ServerProcess server = start(target, port, round);
        Calls calls = new Calls(port, connections, false, "bench-" + runId + "-open-" + target.name() + "-" + round)) {
      UserResponse user = target.equals(BARE) ? BareServer.CONSTANT : calls.seedUsers(100);
      LoadGenerator.Result result = LoadGenerator.openLoop(calls.getUser(user.getId()), rate, warmup, duration,
          10_000);
      runs.add(new Run(target.name(), "GetUser", "open", round, result.throughput(), result.errors(),
          Optional.of(result.latency())));
      log(target, "GetUser", "open@" + (long) rate, round, result.throughput(), result);
      return result.latency();
    }
  }

  private ServerProcess start(Target target, int port, int round) throws IOException, InterruptedException {
    String java = ServerProcess.jdkTool("java");
    List<String> command = switch (target.name()) {
      case "java-memory" -> List.of(java, "-jar", serverJar(), "--port", Integer.toString(port), "--store", "memory");
      case "java-postgres" -> List.of(java, "-jar", serverJar(), "--port", Integer.toString(port), "--store",
          "jdbc:postgresql://127.0.0.1:5432/" + PG_DATABASE, "--db-user", "postgres");
      case "java-memory-metrics" -> List.of(java, "-jar", serverJar(), "--port", Integer.toString(port), "--store",
          "memory", "--metrics-port", "0");
      case "java-memory-nio" -> List.of(java, "-Dio.netty.transport.noNative=true", "-jar", serverJar(), "--port",
          Integer.toString(port), "--store", "memory");
      case "java-memory-before" -> List.of(java, "-jar", baselineJar.orElseThrow().toString(), "--port",
          Integer.toString(port), "--store", "memory");
      case "java-postgres-before" -> List.of(java, "-jar", baselineJar.orElseThrow().toString(), "--port",
          Integer.toString(port), "--store", "jdbc:postgresql://127.0.0.1:5432/" + PG_DATABASE, "--db-user",
          "postgres");
      // On the server jar's classpath, so that it has the same Netty transport (native epoll) as user-server.
      case "bare-direct" -> List.of(java, "-cp", bareClassPath(), BareServer.class.getName(),
          Integer.toString(port), "direct");
      case "bare-grpc-java" -> List.of(java, "-cp", executorSection ? bareClassPath()
          : System.getProperty("java.class.path"), BareServer.class.getName(), Integer.toString(port));
      case "node-seed" -> List.of("node", root.resolve("bench/node-seed-server/server.js").toString(),
          Integer.toString(port));
      default -> throw new IllegalArgumentException(target.name());
    };
    return ServerProcess.start(target.name() + "-" + round, serverCpu, command, port, work);
  }

  private String serverJar() throws IOException {
    Path jar = root.resolve("user-server/target/user-server.jar");
    if (!Files.exists(jar)) {
      throw new IOException(jar + " is missing: build it with ./mvnw -B -q -DskipTests package -pl user-bench -am");
    }
    return jar.toString();
  }

  // --- h2load --------------------------------------------------------------------------------------------

  /** Writes the gRPC frame of the request: flag 0 (uncompressed), 4-byte big-endian length, protobuf bytes. */
  private Path writeFrame(String method, String userId) throws IOException {
    return writeFrame(method, userId, work.resolve(method + "-" + userId + ".grpc"));
  }

  static Path writeFrame(String method, String userId, Path file) throws IOException {
    byte[] message = method.equals("GetUser")
        ? GetUserRequest.newBuilder().setId(userId).build().toByteArray()
        : Calls.LIST_PAGE.toByteArray();
    byte[] frame = ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    Files.write(file, frame);
    return file;
  }

  /**
   * {@code BenchMain frame --port P --method GetUser --out file [--token T]}: creates 100 users (through the
   * client facade with bearer token T, when given), writes a request frame.
   */
  static void frame(Args args) throws IOException {
    int port = args.integer("port", 50051);
    String token = args.string("token", "");
    String prefix = "frame-" + System.nanoTime();
    try (Calls calls = token.isEmpty() ? new Calls(port, 1, false, prefix)
        : new Calls(port, 1, true, prefix, builder -> builder.setBearerToken(() -> token), false)) {
      UserResponse user = calls.seedUsers(100);
      writeFrame(args.string("method", "GetUser"), user.getId(), Path.of(args.string("out", "request.grpc")));
    }
  }

  /**
   * Sends the frame once with curl and checks the trailers: h2load counts every HTTP 200 as a success, and
   * gRPC answers errors with HTTP 200 too, carrying the status in the grpc-status trailer.
   */
  private void checkGrpcStatus(int port, String path, Path frame, Target target, String method)
      throws IOException, InterruptedException {
    String output = ServerProcess.run(List.of("curl", "-sS", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
        "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@" + frame,
        "http://127.0.0.1:" + port + path), 30);
    Matcher status = Pattern.compile("(?im)^grpc-status:\\s*(\\d+)").matcher(output);
    if (!status.find() || !status.group(1).equals("0")) {
      throw new IllegalStateException(target.name() + " " + method + ": the fixed frame is not answered with"
          + " grpc-status 0, so an h2load run would measure errors:\n" + output);
    }
  }

  /** The server's CPU ticks and the wall clock at the start of a run. */
  private record CoreUse(long pid, long ticks, long nanos) {
    static CoreUse start(long pid) throws IOException {
      return new CoreUse(pid, ProcessProbe.cpuTicks(pid), System.nanoTime());
    }

    /** Returns the server's CPU time since the start as a share of the wall time, in percent of one core. */
    double percent() throws IOException, InterruptedException {
      double seconds = (ProcessProbe.cpuTicks(pid) - ticks) / (double) ProcessProbe.ticksPerSecond();
      return 100 * seconds / ((System.nanoTime() - nanos) / 1e9);
    }
  }

  private void recordCoreUse(Target target, String method, String tool, CoreUse use)
      throws IOException, InterruptedException {
    if (!executorSection || !method.equals("GetUser") || target.equals(NODE)) {
      return;
    }
    double percent = use.percent();
    serverCoreUse.computeIfAbsent(target.name() + " " + tool, k -> new ArrayList<>()).add(percent);
    System.out.printf(Locale.ROOT, "%s %s: the server used %.0f%% of a core%n", target.name(), tool, percent);
  }

  /**
   * Warms the server up for a closed-loop run until its JIT is quiet ({@link JitQuiet}), and keeps how long
   * that took.
   */
  private void warmUp(ServerProcess server, Target target, String method, String tool, JitQuiet.Load load)
      throws Exception {
    JitQuiet.WarmUp warmUp = JitQuiet.warmUp(server.pid(), warmup, warmupMax, load);
    warmUps.add(warmUp);
    System.out.printf("%s %s %s: %s%n", target.name(), method, tool, warmUp);
  }

  /** Runs h2load for {@code measured} after its own {@code warmUpTime} (none if zero) and returns its calls/s. */
  private double runH2load(int port, String path, Path frame, Duration measured, Duration warmUpTime)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("taskset", "-c", clientCpu, "h2load", "-D",
        measured.toSeconds() + "s", "-c", Integer.toString(connections), "-m", Integer.toString(streams), "-t", "1",
        "-H", "content-type: application/grpc", "-H", "te: trailers", "-d", frame.toString()));
    if (!warmUpTime.isZero()) {
      command.add("--warm-up-time=" + warmUpTime.toSeconds() + "s");
    }
    command.add("http://127.0.0.1:" + port + path);
    String output = ServerProcess.run(command, measured.toSeconds() + warmUpTime.toSeconds() + 60);
    Matcher rps = H2LOAD_RPS.matcher(output);
    Matcher requests = H2LOAD_REQUESTS.matcher(output);
    if (!rps.find() || !requests.find()) {
      throw new IllegalStateException("cannot read h2load's output:\n" + output);
    }
    long failed = Long.parseLong(requests.group(5)) + Long.parseLong(requests.group(6));
    if (failed > 0) {
      throw new IllegalStateException("h2load saw " + failed + " failed or errored requests:\n" + output);
    }
    return Double.parseDouble(rps.group(1));
  }

  // --- PostgreSQL --------------------------------------------------------------------------------------------

  private boolean prepareDatabase() throws IOException, InterruptedException {
    if (!onPath("psql") || !onPath("pgbench")) {
      notes.add("psql/pgbench not found (apt-get install postgresql-client): the PostgreSQL comparison did not run.");
      return false;
    }
    String exists;
    try {
      exists = psql("postgres", "SELECT 1 FROM pg_database WHERE datname = '" + PG_DATABASE + "'");
    } catch (IOException e) {
      notes.add("PostgreSQL at 127.0.0.1:5432 is not reachable: the PostgreSQL comparison did not run.");
      return false;
    }
    if (!exists.trim().equals("1")) {
      psql("postgres", "CREATE DATABASE " + PG_DATABASE);
    }
    // pgbench's tables live in their own schema of the same database: Flyway refuses to migrate a non-empty
    // public schema that it did not create.
    for (String table : List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history")) {
      psql(PG_DATABASE, "DROP TABLE IF EXISTS public." + table);
    }
    psql(PG_DATABASE, "CREATE SCHEMA IF NOT EXISTS pgbench");
    if (!psql(PG_DATABASE, "SELECT to_regclass('pgbench.pgbench_accounts') IS NOT NULL").trim().equals("t")) {
      String output = ServerProcess.run(List.of("pgbench", "-i", "-q", "-s", "10", "-h", "127.0.0.1", "-U", "postgres",
          PG_DATABASE), 600, PGBENCH_SCHEMA);
      System.out.println(output);
    }
    return true;
  }

  /** Runs one SQL statement with psql as postgres on 127.0.0.1 and returns its unaligned output. */
  static String psql(String database, String sql) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql)
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("psql failed: " + output);
    }
    return output;
  }

  private void pgbench(int round) throws IOException, InterruptedException {
    String output = ServerProcess.run(List.of("taskset", "-c", clientCpu, "pgbench", "-S", "-n", "-c",
        Integer.toString(connections), "-j", "1", "-T", Long.toString(duration.toSeconds()), "-h", "127.0.0.1",
        "-U", "postgres", PG_DATABASE), duration.toSeconds() + 120, PGBENCH_SCHEMA);
    Matcher tps = PGBENCH_TPS.matcher(output);
    if (!tps.find()) {
      throw new IllegalStateException("cannot read pgbench's output:\n" + output);
    }
    double value = Double.parseDouble(tps.group(1));
    runs.add(new Run("pgbench", "SELECT by primary key (-S)", "pgbench", round, value, 0, Optional.empty()));
    System.out.printf("round %d pgbench -S: %.0f tps%n", round, value);
  }

  // --- report --------------------------------------------------------------------------------------------------

  private List<Double> rates(String target, String method, String tool) {
    return runs.stream().filter(r -> r.target().equals(target) && r.method().equals(method) && r.tool().equals(tool))
        .sorted((a, b) -> Integer.compare(a.round(), b.round()))
        .map(Run::rps).collect(Collectors.toList());
  }

  /** Returns per-round ratios a/b of two series measured in the same rounds. */
  private static List<Double> ratios(List<Double> a, List<Double> b) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      ratios.add(a.get(i) / b.get(i));
    }
    return ratios;
  }

  private List<Double> percentiles(String target, String method, String tool, double percentile) {
    return runs.stream().filter(r -> r.target().equals(target) && r.method().equals(method) && r.tool().equals(tool))
        .sorted((a, b) -> Integer.compare(a.round(), b.round()))
        .map(r -> r.latency().orElseThrow().getValueAtPercentile(percentile) / 1e6).collect(Collectors.toList());
  }

  private String report(String loadBefore, double rate) {
    StringBuilder md = new StringBuilder("## Load: unary calls end to end over loopback\n\n");
    md.append(Machine.header(command, loadBefore));
    md.append("- Setup: each server in its own process pinned with `taskset -c ").append(serverCpu)
        .append("`; this JVM (the Java load tool), h2load and pgbench pinned to core ").append(clientCpu)
        .append(" (PostgreSQL itself is the machine's shared service, not pinned). ").append(connections)
        .append(" connections, one call in flight on each (h2load `-c ").append(connections)
        .append(" -m 1`; Java tool: the raw async stub on ").append(connections)
        .append(" channels). Each run: ").append(warmUpText()).append(", ")
        .append(duration.toSeconds()).append(" s measured; ").append(rounds)
        .append(" rounds, every server restarted each round, and 100 users created before measuring; the load tool's JVM"
            + " is warmed by one unmeasured run of each call before round 1.\n")
        .append("- h2load sends one fixed frame (5-byte gRPC prefix + protobuf body) with `content-type:"
            + " application/grpc` and `te: trailers`. h2load counts any HTTP 200 as success, and gRPC errors are"
            + " HTTP 200 too, so before each h2load run the same frame is sent once with `curl"
            + " --http2-prior-knowledge -D -` and the run is refused unless the trailers say `grpc-status: 0`."
            + " CreateUser is measured by the Java tool only: a fixed frame repeats one email, so h2load would"
            + " measure the ALREADY_EXISTS path.\n")
        .append("- Servers: `java -jar user-server/target/user-server.jar --store memory` (and `--store"
            + " jdbc:postgresql://127.0.0.1:5432/").append(PG_DATABASE).append(" --db-user postgres`);"
            + " `node bench/node-seed-server/server.js` (the seed tutorial's server: grpc-js + proto-loader,"
            + " in-memory Map, the untouched seed `user.proto`); `BareServer` (grpc-java answering GetUser with a"
            + " constant, same transport settings as user-server). A JVM pinned to one core picks SerialGC and"
            + " sees 1 CPU; all three Java servers run that way.\n");
    notes.forEach(note -> md.append("- Note: ").append(note).append('\n'));
    md.append("\nThroughput in calls/s, median of the rounds with (min–max, n); latency of the Java tool's closed"
        + " loop in ms (median of the rounds' percentiles):\n\n");
    md.append("| server | RPC | h2load calls/s | Java tool calls/s | p50 | p99 | p99.9 | errors |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    List<Target> targets = new ArrayList<>(List.of(JAVA, NODE, BARE));
    if (postgres) {
      targets.add(POSTGRES);
    }
    for (Target target : targets) {
      for (String method : target.methods()) {
        List<Double> h2 = rates(target.name(), method, "h2load");
        List<Double> java = rates(target.name(), method, "java");
        long errors = runs.stream().filter(r -> r.target().equals(target.name()) && r.method().equals(method))
            .mapToLong(Run::errors).sum();
        md.append("| ").append(target.label()).append(" | ").append(method).append(" | ")
            .append(h2.isEmpty() ? "–" : Stats.spread(h2, "%.0f")).append(" | ")
            .append(Stats.spread(java, "%.0f")).append(" | ")
            .append(Stats.fmt("%.2f", Stats.median(percentiles(target.name(), method, "java", 50)))).append(" | ")
            .append(Stats.fmt("%.2f", Stats.median(percentiles(target.name(), method, "java", 99)))).append(" | ")
            .append(Stats.fmt("%.2f", Stats.median(percentiles(target.name(), method, "java", 99.9)))).append(" | ")
            .append(errors).append(" |\n");
      }
    }
    if (postgres) {
      md.append("| PostgreSQL `pgbench -S -c ").append(connections).append(" -j 1`, scale 10 (schema `pgbench` of"
          + " database `").append(PG_DATABASE).append("`) | SELECT by primary key | – | ")
          .append(Stats.spread(rates("pgbench", "SELECT by primary key (-S)", "pgbench"), "%.0f"))
          .append(" (tps) | | | | 0 |\n");
    }
    String tool = h2load ? "h2load" : "java";
    md.append("\nOpen loop, GetUser at ").append((long) rate).append(" calls/s (half of the seed server's median ")
        .append(tool).append(" saturation rate), latency in ms, median of the rounds (min–max):\n\n");
    md.append("| server | p50 | p99 | p99.9 | max | errors |\n|---|---|---|---|---|---|\n");
    for (Target target : List.of(JAVA, NODE, BARE)) {
      long errors = runs.stream().filter(r -> r.target().equals(target.name()) && r.tool().equals("open"))
          .mapToLong(Run::errors).sum();
      md.append("| ").append(target.label()).append(" | ")
          .append(Stats.spread(percentiles(target.name(), "GetUser", "open", 50), "%.2f")).append(" | ")
          .append(Stats.spread(percentiles(target.name(), "GetUser", "open", 99), "%.2f")).append(" | ")
          .append(Stats.spread(percentiles(target.name(), "GetUser", "open", 99.9), "%.2f")).append(" | ")
          .append(Stats.spread(percentiles(target.name(), "GetUser", "open", 100), "%.2f")).append(" | ")
          .append(errors).append(" |\n");
    }
    md.append("\n![GetUser latency by percentile](docs/latency.png)\n\n");
    md.append("Targets (ratios of runs in the same round; median with min–max over the rounds):\n\n");
    md.append("| target | measured | met? |\n|---|---|---|\n");
    List<Double> vsNode = ratios(rates(JAVA.name(), "GetUser", tool), rates(NODE.name(), "GetUser", tool));
    md.append(row("GetUser (memory) ≥ 3x the seed Node server's throughput at " + connections + " connections ("
        + tool + ")", vsNode, "%.2fx", Stats.median(vsNode) >= 3));
    List<Double> bareVsNode = ratios(rates(BARE.name(), "GetUser", tool), rates(NODE.name(), "GetUser", tool));
    md.append("| for reference: the bare grpc-java ceiling over the seed Node server (" + tool + "), the best any"
        + " grpc-java server with this transport setup can reach on one core | " + Stats.spread(bareVsNode, "%.2fx")
        + " | – |\n");
    List<Double> vsBare = ratios(rates(JAVA.name(), "GetUser", tool), rates(BARE.name(), "GetUser", tool));
    md.append(row("GetUser (memory) ≥ 85% of the bare grpc-java ceiling (" + tool + ")", percent(vsBare), "%.0f%%",
        Stats.median(vsBare) >= 0.85));
    List<Double> p99 = ratios(percentiles(JAVA.name(), "GetUser", "open", 99),
        percentiles(NODE.name(), "GetUser", "open", 99));
    md.append(row("GetUser p99 at half the seed's saturation rate ≤ half of the seed's p99", p99, "%.2fx",
        Stats.median(p99) <= 0.5));
    if (postgres) {
      List<Double> vsPg = ratios(rates(POSTGRES.name(), "GetUser", tool), rates("pgbench", "SELECT by primary key (-S)",
          "pgbench"));
      md.append(row("GetUser (PostgreSQL) ≥ 60% of `pgbench -S` tps", percent(vsPg), "%.0f%%",
          Stats.median(vsPg) >= 0.6));
      // Two cores serve both. pgbench -S at P tps keeps them busy: about 2/P core-seconds per SELECT (database
      // plus client). The bare server saturates its one core at B calls/s: at least 1/B core-seconds of gRPC
      // per call. A GetUser needs both, so no grpc-java server can exceed 2 / (1/B + 2/P) calls/s here.
      List<Double> bound = new ArrayList<>();
      List<Double> bare = rates(BARE.name(), "GetUser", tool);
      List<Double> pg = rates("pgbench", "SELECT by primary key (-S)", "pgbench");
      for (int i = 0; i < Math.min(bare.size(), pg.size()); i++) {
        bound.add(100 * 2 / (1 / bare.get(i) + 2 / pg.get(i)) / pg.get(i));
      }
      md.append("| for reference: the most any grpc-java server can reach on these 2 cores, 2 / (1/B + 2/P) as a share"
          + " of P, with B the bare ceiling and P pgbench's tps of the same round | " + Stats.spread(bound, "%.0f%%")
          + " | – |\n");
    }
    return md.toString();
  }

  /** Describes the warm-ups of the closed-loop runs ({@link #warmUp}) and what they took. */
  private String warmUpText() {
    return JitQuiet.describe(warmUps, warmup, warmupMax, "the server's") + ", then "
        + MEASURED_WARM_UP.toSeconds() + " s of load not measured";
  }

  /** Returns this module's classes before the server jar, which brings grpc-java, Netty and native epoll. */
  private String bareClassPath() throws IOException {
    return root.resolve("user-bench/target/classes") + java.io.File.pathSeparator + serverJar();
  }

  /** The report of issue 17: GetUser only, every server side by side, ratios per load tool. */
  private String executorReport(String loadBefore) {
    StringBuilder md = new StringBuilder("## Executor: calls on the event loop, blocking work on a pool of its own"
        + " (issue 17)\n\n");
    md.append(Machine.header(command, loadBefore));
    md.append("- Setup: each server in its own process pinned with `taskset -c ").append(serverCpu)
        .append("` (a JVM there sees 1 CPU and picks SerialGC); h2load, this JVM (the Java closed-loop tool) and")
        .append(" pgbench pinned to core ").append(clientCpu).append(". GetUser of one existing user: h2load `-c ")
        .append(connections).append(" -m ").append(streams).append(" -t 1` (one fixed frame, checked for")
        .append(" `grpc-status: 0` with curl first), then the Java tool with ").append(connections * streams)
        .append(" calls in flight over ").append(connections).append(" channels. Each run: ").append(warmUpText())
        .append(", then ").append(duration.toSeconds()).append(" s measured; ")
        .append(rounds).append(" rounds, every server restarted for each run, all targets in every round, each round starting one")
        .append(" target later than the one before.\n");
    md.append("- Servers: `user-server.jar` of this build")
        .append(baselineJar.isPresent() ? " and of the baseline (`--baseline-jar`, before)" : "").append(", on the")
        .append(" memory store (also with `--metrics-port 0`: the server records metrics only when a port serves")
        .append(" them) and on PostgreSQL (`").append(PG_DATABASE).append("` at 127.0.0.1:5432, the")
        .append(" machine's shared, unpinned service); the seed tutorial's Node server; `BareServer` answering a")
        .append(" constant, once with the old transport setup (a pool of 16 call threads; the old ceiling) and")
        .append(" once with `directExecutor()` (the new ceiling); `pgbench -S -c ").append(connections)
        .append(" -j 1` on the same database (schema `pgbench`, scale 10).\n");
    notes.forEach(note -> md.append("- Note: ").append(note).append('\n'));
    md.append("\nGetUser calls/s, median of the rounds (min–max, n); p99 of the Java tool in ms:\n\n");
    md.append("| server | h2load | Java tool | Java p99 | errors |\n|---|---|---|---|---|\n");
    for (Target target : targets()) {
      List<Double> h2 = rates(target.name(), "GetUser", "h2load");
      List<Double> java = rates(target.name(), "GetUser", "java");
      long errors = runs.stream().filter(r -> r.target().equals(target.name())).mapToLong(Run::errors).sum();
      md.append("| ").append(target.label()).append(" | ").append(h2.isEmpty() ? "–" : Stats.spread(h2, "%.0f"))
          .append(" | ").append(java.isEmpty() ? "–" : Stats.spread(java, "%.0f")).append(" | ")
          .append(java.isEmpty() ? "–" : Stats.fmt("%.2f", Stats.median(percentiles(target.name(), "GetUser",
              "java", 99))))
          .append(" | ").append(errors).append(" |\n");
    }
    List<Double> pg = rates("pgbench", "SELECT by primary key (-S)", "pgbench");
    if (!pg.isEmpty()) {
      md.append("| `pgbench -S` (tps) | – | ").append(Stats.spread(pg, "%.0f")).append(" | – | 0 |\n");
    }
    md.append("\nThe server's CPU use over each measured run (`/proc/PID/stat`, all threads), in percent")
        .append(" of its one core: a rate is the server's capacity only near 100 %:\n\n")
        .append("| server | h2load | Java tool |\n|---|---|---|\n");
    for (Target target : targets()) {
      List<Double> h2 = serverCoreUse.getOrDefault(target.name() + " h2load", List.of());
      List<Double> java = serverCoreUse.getOrDefault(target.name() + " java", List.of());
      if (!h2.isEmpty() || !java.isEmpty()) {
        md.append("| ").append(target.label()).append(" | ").append(h2.isEmpty() ? "–" : Stats.spread(h2, "%.0f%%"))
            .append(" | ").append(java.isEmpty() ? "–" : Stats.spread(java, "%.0f%%")).append(" |\n");
      }
    }
    md.append("\nRatios of runs in the same round (median, min–max over the rounds):\n\n");
    md.append("| ratio | h2load | Java tool | target |\n|---|---|---|---|\n");
    ratioRow(md, "user-server (memory) / seed Node server", JAVA, NODE, "%.2fx", 1, "≥ 2x");
    ratioRow(md, "user-server (memory) / direct-executor ceiling", JAVA, BARE_DIRECT, "%.0f%%", 100, "≥ 90 %");
    ratioRow(md, "user-server (memory), metrics served / direct-executor ceiling", JAVA_METRICS, BARE_DIRECT,
        "%.0f%%", 100, "–");
    ratioRow(md, "user-server (memory), metrics served / the same without (the default)", JAVA_METRICS, JAVA,
        "%.0f%%", 100, "–");
    ratioRow(md, "user-server (memory) / old ceiling (default executor)", JAVA, BARE, "%.0f%%", 100, "–");
    ratioRow(md, "before: user-server (memory) / seed Node server", JAVA_BEFORE, NODE, "%.2fx", 1, "–");
    ratioRow(md, "before: user-server (memory) / direct-executor ceiling", JAVA_BEFORE, BARE_DIRECT, "%.0f%%", 100,
        "–");
    ratioRow(md, "user-server (memory), NIO / the same on epoll (the default)", JAVA_NIO, JAVA, "%.0f%%", 100, "–");
    ratioRow(md, "new ceiling (direct executor) / seed Node server", BARE_DIRECT, NODE, "%.2fx", 1, "–");
    ratioRow(md, "old ceiling (default executor) / seed Node server", BARE, NODE, "%.2fx", 1, "–");
    if (!pg.isEmpty()) {
      for (Target target : List.of(POSTGRES, POSTGRES_BEFORE)) {
        List<String> cells = new ArrayList<>();
        for (String tool : List.of("h2load", "java")) {
          List<Double> share = percent(ratios(rates(target.name(), "GetUser", tool), pg));
          cells.add(share.isEmpty() ? "–" : Stats.spread(share, "%.0f%%"));
        }
        md.append("| ").append(target.equals(POSTGRES) ? "" : "before: ")
            .append("user-server (PostgreSQL) / `pgbench -S`")
            .append(" | ").append(cells.get(0)).append(" | ").append(cells.get(1)).append(" | ")
            .append(target.equals(POSTGRES) ? "≥ 50 %" : "–").append(" |\n");
      }
      // As in the load section: pgbench -S at P tps keeps both cores busy, about 2/P core-seconds per SELECT;
      // a gRPC call costs at least 1/B core-seconds, B the ceiling server's rate on its one core.
      List<String> cells = new ArrayList<>();
      for (String tool : List.of("h2load", "java")) {
        List<Double> bare = rates(BARE_DIRECT.name(), "GetUser", tool);
        List<Double> bound = new ArrayList<>();
        for (int i = 0; i < Math.min(bare.size(), pg.size()); i++) {
          bound.add(100 * 2 / (1 / bare.get(i) + 2 / pg.get(i)) / pg.get(i));
        }
        cells.add(bound.isEmpty() ? "–" : Stats.spread(bound, "%.0f%%"));
      }
      md.append("| bound on these 2 cores: 2 / (1/B + 2/P) as a share of P, B the direct-executor ceiling | ")
          .append(cells.get(0)).append(" | ").append(cells.get(1)).append(" | – |\n");
    }
    return md.toString();
  }

  private void ratioRow(StringBuilder md, String label, Target a, Target b, String format, double scale,
      String target) {
    List<String> cells = new ArrayList<>();
    for (String tool : List.of("h2load", "java")) {
      List<Double> values = ratios(rates(a.name(), "GetUser", tool), rates(b.name(), "GetUser", tool)).stream()
          .map(v -> v * scale).collect(Collectors.toList());
      cells.add(values.isEmpty() ? "–" : Stats.spread(values, format));
    }
    md.append("| ").append(label).append(" | ").append(cells.get(0)).append(" | ").append(cells.get(1)).append(" | ")
        .append(target).append(" |\n");
  }

  private static List<Double> percent(List<Double> ratios) {
    return ratios.stream().map(r -> r * 100).collect(Collectors.toList());
  }

  private static String row(String target, List<Double> values, String format, boolean met) {
    return "| " + target + " | " + Stats.spread(values, format) + " | " + (met ? "yes" : "**no**") + " |\n";
  }

  private static void log(Target target, String method, String tool, int round, double rps,
      LoadGenerator.Result result) {
    System.out.printf("round %d %-15s %-10s %-12s %8.0f calls/s%s%n", round, target.name(), method, tool, rps,
        result == null ? "" : String.format(" p50 %.2f ms p99 %.2f ms p99.9 %.2f ms errors %d%s", result.millis(50),
            result.millis(99), result.millis(99.9), result.errors(), result.cpuNanos() == 0 ? ""
                : String.format("; this JVM %.1f us of CPU per call", result.cpuMicrosPerCall())));
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":", -1)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

}
