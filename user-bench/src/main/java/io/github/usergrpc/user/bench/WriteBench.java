package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.RecordActivityRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Write throughput against PostgreSQL, side by side with {@code pgbench -N} on the same database server:
 * RecordActivity and CreateUser over gRPC, closed loop at 1 and 16 clients, for one or more server jars (the
 * current build, and for a before/after comparison the jar of another commit, {@code --before-jar}).
 *
 * <p>Everything lives in a database of its own that the run creates and drops ({@code writebench_<pid>}):
 * pgbench's tables in schema {@code pgbench}, each server run in a new schema of its own, so that every run
 * starts from an empty store. Within a round the measurements run one after the other; rounds repeat the
 * whole sequence, so that every target sees the machine's load as the others do.
 */
final class WriteBench {

  private static final Pattern PGBENCH_TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection");
  /** The users RecordActivity is spread over: many more than clients, so that few calls meet on one user. */
  private static final int ACTIVITY_USERS = 200;

  private record Jar(String label, Path path) {}

  private final int rounds;
  private final Duration duration;
  private final Duration warmup;
  private final Duration warmupMax;
  /** How each run's warm-up ended. */
  private final List<JitQuiet.WarmUp> warmUps = new ArrayList<>();
  private final List<Integer> clients;
  private final List<Jar> jars = new ArrayList<>();
  private final String command;
  private final String database = "writebench_" + ProcessHandle.current().pid();
  private final Path work;
  /** "target|clients" to the rates of the rounds. */
  private final Map<String, List<Double>> rates = new LinkedHashMap<>();
  /** "target|clients" to the WAL each measured run wrote ({@link WalCounters}), by round. */
  private final Map<String, List<WalCounters.PerCall>> wal = new LinkedHashMap<>();
  private int schemas;

  private WriteBench(Args args) throws IOException {
    rounds = args.integer("rounds", 3);
    duration = args.seconds("duration", 10);
    // 20 s: with 3 s, about 2,000 calls at 1 client, much of the server still ran interpreted or C1-compiled
    // (RecordActivity 605 vs 963/s at 1 client, 1,090 vs 2,094/s at 16, 2026-12-07 05:13 vs 05:44 UTC).
    warmup = args.seconds("warmup", 20);
    warmupMax = args.seconds("warmup-max", 90);
    clients = List.of(1, args.integer("clients", 16));
    command = args.string("command", "scripts/bench/write.sh");
    Path root = BenchmarksFile.repositoryRoot();
    work = root.resolve("user-bench/target/write-bench");
    String beforeJar = args.string("before-jar", "");
    if (!beforeJar.isEmpty()) {
      jars.add(new Jar(args.string("before-label", "before"), Path.of(beforeJar)));
    }
    jars.add(new Jar(args.string("after-label", "after"), root.resolve("user-server/target/user-server.jar")));
    for (Jar jar : jars) {
      if (!Files.isRegularFile(jar.path())) {
        throw new IOException(jar.path() + " is missing: build it first (mvnw -DskipTests package -pl user-server -am)");
      }
    }
  }

  static void run(Args args) throws Exception {
    new WriteBench(args).runAll();
  }

  private void runAll() throws Exception {
    String loadBefore = Machine.loadAverage();
    Files.createDirectories(work);
    LoadBench.psql("postgres", "CREATE DATABASE " + database);
    try {
      LoadBench.psql(database, "CREATE SCHEMA pgbench");
      System.out.println(ServerProcess.run(List.of("pgbench", "-i", "-q", "-s", "10", "-h", "127.0.0.1", "-U",
          "postgres", database), 600, Map.of("PGOPTIONS", "-c search_path=pgbench")));
      for (int round = 1; round <= rounds; round++) {
        for (int n : clients) {
          pgbench(n);
        }
        for (Jar jar : jars) {
          for (String call : List.of("RecordActivity", "CreateUser")) {
            for (int n : clients) {
              measure(jar, call, n, round);
            }
          }
        }
      }
    } finally {
      LoadBench.psql("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
    String report = report(loadBefore);
    BenchmarksFile.writeSection("write", report);
    System.out.println(report);
  }

  private void pgbench(int n) throws IOException, InterruptedException {
    WalCounters before = WalCounters.read(database);
    String output = ServerProcess.run(List.of("pgbench", "-N", "-n", "-c", Integer.toString(n), "-j",
        Integer.toString(Math.min(n, 2)), "-T", Long.toString(duration.toSeconds()), "-h", "127.0.0.1", "-U",
        "postgres", database), duration.toSeconds() + 120, Map.of("PGOPTIONS", "-c search_path=pgbench"));
    Matcher tps = PGBENCH_TPS.matcher(output);
    if (!tps.find()) {
      throw new IllegalStateException("cannot read pgbench's output:\n" + output);
    }
    double rate = Double.parseDouble(tps.group(1));
    record("pgbench -N", n, rate, WalCounters.read(database).since(before), rate * duration.toSeconds());
  }

  /** Starts the jar on a new schema, seeds users for RecordActivity, and measures one closed loop. */
  private void measure(Jar jar, String call, int n, int round) throws Exception {
    schemas++;
    String schema = "run" + schemas;
    LoadBench.psql(database, "CREATE SCHEMA " + schema);
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    try (ServerProcess server = ServerProcess.start(jar.label() + "-" + schema, "", List.of(java, "-jar",
        jar.path().toString(), "--port", Integer.toString(port), "--store",
        "jdbc:postgresql://127.0.0.1:5432/" + database + "?currentSchema=" + schema, "--db-user", "postgres"),
        port, work);
        Calls requests = new Calls(port, 0, false, "w" + round + "-" + schema)) {
      List<ManagedChannel> channels = new ArrayList<>();
      LoadGenerator.Result result;
      WalCounters walBefore;
      WalCounters walDuring;
      try {
        for (int i = 0; i < n; i++) {
          channels.add(Calls.channelBuilder(port).build());
        }
        // Seeds users (RecordActivity needs them) over every channel, so that each is connected before the
        // measurement, patiently: on a loaded machine the first connection to a server just started took
        // more than 8 s, and the port accepts (it is reserved) a moment before gRPC serves on it.
        List<String> users = new ArrayList<>();
        for (int i = 0; i < Math.max(n, call.equals("CreateUser") ? 0 : ACTIVITY_USERS); i++) {
          users.add(seed(channels.get(i % n), requests.newUser(-1 - i)));
        }
        LoadGenerator.AsyncCall asyncCall = call.equals("CreateUser")
            ? createUser(channels, requests)
            : recordActivity(channels, users);
        // Until the JITs are quiet: a fixed 20 s left a server's C2 compiler at about half a core when it began.
        JitQuiet.WarmUp warmUp = JitQuiet.warmUp(JitQuiet.withThisJvm(List.of(server)), warmup, warmupMax,
            step -> LoadGenerator.closedLoop(asyncCall, n, step, Duration.ZERO));
        warmUps.add(warmUp);
        System.out.printf("%s %s at %d clients: %s%n", jar.label(), call, n, warmUp);
        walBefore = WalCounters.read(database);
        result = LoadGenerator.closedLoop(asyncCall, n, LoadBench.MEASURED_WARM_UP, duration);
        walDuring = WalCounters.read(database).since(walBefore);
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
      }
      if (result.errors() > 0) {
        throw new IllegalStateException(jar.label() + " " + call + ": " + result.errors() + " calls failed");
      }
      // The counters include the unmeasured second before the measured ones: about that many calls more.
      record(jar.label() + " " + call, n, result.throughput(), walDuring,
          result.throughput() * (LoadBench.MEASURED_WARM_UP.toSeconds() + duration.toSeconds()));
    }
  }

  /** Creates a user, trying again while the server is not serving yet, for at most a minute. */
  private static String seed(ManagedChannel channel, CreateUserRequest request) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (true) {
      try {
        return UserServiceGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(60, TimeUnit.SECONDS)
            .createUser(request).getId();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** CreateUser with a new email each call, round robin over the channels. */
  private static LoadGenerator.AsyncCall createUser(List<ManagedChannel> channels, Calls requests) {
    List<UserServiceGrpc.UserServiceStub> stubs = channels.stream().map(UserServiceGrpc::newStub).toList();
    AtomicLong next = new AtomicLong();
    return done -> {
      long i = next.incrementAndGet();
      stubs.get((int) (i % stubs.size())).withDeadlineAfter(10, TimeUnit.SECONDS).createUser(requests.newUser(i),
          Calls.observer(done));
    };
  }

  /** RecordActivity round robin over the users and the channels. */
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

  private void record(String target, int n, double rate, WalCounters walDuring, double calls) {
    rates.computeIfAbsent(target + "|" + n, key -> new ArrayList<>()).add(rate);
    WalCounters.PerCall perCall = walDuring.perCall(calls);
    wal.computeIfAbsent(target + "|" + n, key -> new ArrayList<>()).add(perCall);
    System.out.printf(Locale.ROOT, "%s at %d clients: %.0f/s; %s%n", target, n, rate, perCall.describe());
  }

  private List<Double> rates(String target, int n) {
    return rates.getOrDefault(target + "|" + n, List.of());
  }

  private String report(String loadBefore) {
    int many = clients.get(1);
    StringBuilder md = new StringBuilder("## Writes against PostgreSQL (issue 16)\n\n")
        .append(Machine.header(command, loadBefore))
        .append("- Database: the shared PostgreSQL at 127.0.0.1:5432, a database of the run's own (created and")
        .append(" dropped); pgbench scale 10 in schema `pgbench`; each server run on a new, empty schema, pool of 10")
        .append(" connections; nothing pinned to a core. Closed loop, one call in flight per client: ")
        .append(JitQuiet.describe(warmUps, warmup, warmupMax, "the server's and this JVM's")).append(", then ")
        .append(LoadBench.MEASURED_WARM_UP.toSeconds()).append(" s not measured, ").append(duration.toSeconds())
        .append(" s measured, ")
        .append(rounds).append(" rounds; RecordActivity spread round robin over ").append(ACTIVITY_USERS)
        .append(" users.\n");
    for (Jar jar : jars) {
      md.append("- `").append(jar.label()).append("`: `").append(jar.path().getFileName()).append("`")
          .append(jar.label().equals("before") ? " of another commit (see the run's reading below)" : "").append("\n");
    }
    md.append("\n| target | 1 client | ").append(many).append(" clients | ").append(many)
        .append(" / 1 | vs `pgbench -N` at ").append(many).append(" |\n|---|---|---|---|---|\n");
    List<Double> pgMany = rates("pgbench -N", many);
    List<String> targets = new ArrayList<>(List.of("pgbench -N"));
    for (Jar jar : jars) {
      targets.add(jar.label() + " RecordActivity");
      targets.add(jar.label() + " CreateUser");
    }
    for (String target : targets) {
      List<Double> one = rates(target, 1);
      List<Double> lots = rates(target, many);
      md.append("| ").append(target).append(" | ").append(Stats.spread(one, "%.0f")).append(" | ")
          .append(Stats.spread(lots, "%.0f")).append(" | ")
          .append(Stats.spread(Stats.ratios(lots, one), "%.1fx"))
          .append(" | ").append(target.equals("pgbench -N") ? "" : Stats.spread(percent(lots, pgMany), "%.0f%%"))
          .append(" |\n");
    }
    md.append("\nRatios are per round (each round's figures measured minutes apart at most), then median (min–max).")
        .append(" Targets: at ").append(many).append(" clients RecordActivity and CreateUser reach ≥ 60 % of")
        .append(" `pgbench -N` and ≥ 3x their own 1-client rate.\n");
    md.append("\nThe WAL of each measured run at ").append(many).append(" clients (the server's, all databases:")
        .append(" `pg_current_wal_lsn()` and `pg_stat_wal.wal_fpi` before and after, divided by the calls made; for")
        .append(" the gRPC calls the counters also take in the unmeasured second before), and the checkpoints: after")
        .append(" a checkpoint starts, each page's first change writes the whole page to the WAL again, so the same")
        .append(" calls write more WAL and every commit waits for more of it.\n\n")
        .append("| target | WAL bytes per call, by round | full-page images per call, by round")
        .append(" | buffers written by checkpoints during the run, by round |\n|---|---|---|---|\n");
    for (String target : targets) {
      List<WalCounters.PerCall> runs = wal.getOrDefault(target + "|" + many, List.of());
      md.append("| ").append(target)
          .append(" | ").append(byRound(runs, run -> String.format(Locale.ROOT, "%.0f", run.walBytes())))
          .append(" | ").append(byRound(runs, run -> String.format(Locale.ROOT, "%.2f", run.fullPageImages())))
          .append(" | ").append(byRound(runs, run -> Long.toString(run.checkpointBuffers()))).append(" |\n");
    }
    return md.toString();
  }


  /** One figure of each round's run, separated by slashes. */
  private static String byRound(List<WalCounters.PerCall> runs, Function<WalCounters.PerCall, String> figure) {
    return runs.stream().map(figure).collect(Collectors.joining(" / "));
  }

  private static List<Double> percent(List<Double> a, List<Double> b) {
    List<Double> percent = new ArrayList<>();
    Stats.ratios(a, b).forEach(ratio -> percent.add(ratio * 100));
    return percent;
  }
}
