package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.server.LayerCost;
import io.github.usergrpc.user.server.LayeredServer;
import io.github.usergrpc.user.v1.UserResponse;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each layer of a UserService call costs (issue 17): GetUser with h2load against the constant-answer
 * server on user-server's transport ({@link LayeredServer}) with no layer, with each layer alone, with all of
 * them, and against {@code user-server.jar} itself, each server in its own process pinned to one core, h2load
 * on the other. With {@code --baseline-jar} (another build's user-server.jar, "before") also the layers this
 * branch changed, all layers and the server itself on that build's classes.
 *
 * <p>Besides calls/s, it reads the server process's CPU time ({@code /proc/PID/stat}, user plus system, all
 * threads: JIT and GC included) over the measured run and divides it by the calls answered: CPU µs per call,
 * which other processes on the machine disturb far less than the rate. A layer's cost is its variant's CPU
 * per call minus the bare server's in the same round.
 *
 * <p>{@code BenchMain interceptors [--rounds 3] [--duration 10] [--warmup 20] [--warmup-max 90] [--streams 8]
 * [--baseline-jar PATH]}
 */
final class InterceptorBench {

  /** What a variant runs. */
  private enum Kind {
    /** {@code LayeredServer} with the variant's arguments (layers, or {@code server} and what it leaves out). */
    LAYERED,
    /** The jar itself, {@code --store memory}. */
    REAL,
    /** {@code BareServer direct}: the direct-executor ceiling of {@code executor.sh}. */
    CEILING
  }

  /** One server: {@code kind} run on the classes of {@code jar}, with {@code layers} for {@code LAYERED}. */
  private record Variant(String name, String label, List<String> layers, Path jar, Kind kind) {
    boolean real() {
      return kind == Kind.REAL;
    }
  }

  /** The layers this branch changed, measured on the baseline jar too. */
  private static final List<String> CHANGED = List.of("store", "parsing", "validation");

  private static final Pattern LAYER_COST = Pattern.compile(
      "cpu-ns-per-call ([0-9.]+) calls (\\d+) alloc-bytes-per-call ([0-9.]+)");

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/interceptors");
  private final int rounds;
  private final int duration;
  private final int warmup;
  /** The longest warm-up over TCP, waiting for the server's JIT to go quiet ({@link JitQuiet}). */
  private final Duration warmupMax;
  /** The warm-ups over TCP, for the report. */
  private final List<JitQuiet.WarmUp> warmUps = new ArrayList<>();
  private final int connections;
  private final int streams;
  private final String command;
  private final List<Variant> variants = new ArrayList<>();
  private final Map<String, List<Double>> rates = new LinkedHashMap<>();
  private final Map<String, List<Double>> cpu = new LinkedHashMap<>();
  private final Map<String, List<Double>> allocation = new LinkedHashMap<>();
  /** CPU µs per call of each thread group ({@link ServerThreads#GROUPS}), per variant, over TCP. */
  private final Map<String, Map<String, List<Double>>> byThreads = new LinkedHashMap<>();
  private final long ticksPerSecond;
  private final boolean inProcess;

  private InterceptorBench(Args args) throws IOException, InterruptedException {
    rounds = args.integer("rounds", 3);
    duration = args.integer("duration", 10);
    warmup = args.integer("warmup", 20);
    warmupMax = args.seconds("warmup-max", 90);
    connections = args.integer("connections", 16);
    streams = args.integer("streams", 8);
    command = args.string("command", "scripts/bench/interceptors.sh");
    inProcess = args.flag("in-process");
    ticksPerSecond = ProcessProbe.ticksPerSecond();
    Path jar = root.resolve("user-server/target/user-server.jar");
    if (!inProcess) {
      variants.add(new Variant("ceiling", "`BareServer direct`, the ceiling of `executor.sh` (its own builder"
          + " options)", List.of(), jar, Kind.CEILING));
    }
    variants.add(new Variant("bare", "constant answer, no layer", List.of(), jar, Kind.LAYERED));
    for (String layer : LayeredServer.LAYERS) {
      variants.add(new Variant("+" + layer, "+ " + layer, List.of(layer), jar, Kind.LAYERED));
    }
    variants.add(new Variant("all", "all layers", LayeredServer.LAYERS, jar, Kind.LAYERED));
    String server = inProcess ? "`UserServer` as for `--store memory`" : "`user-server.jar --store memory`";
    if (!inProcess) {
      variants.add(new Variant("+services", "+ health, reflection and the malformed-input log filter",
          List.of("services"), jar, Kind.LAYERED));
      variants.add(new Variant("all+services", "all layers + health, reflection, log filter",
          concat(LayeredServer.LAYERS, List.of("services")), jar, Kind.LAYERED));
      variants.add(new Variant("server", "`UserServer` as `UserServerMain.newServer` builds it for `--store"
          + " memory`", List.of("server"), jar, Kind.LAYERED));
      variants.add(new Variant("server-metrics", "`UserServer` as built for `--store memory`, without metrics", List.of("server", "-metrics"), jar,
          Kind.LAYERED));
      variants.add(new Variant("server-deadline", "`UserServer` as built for `--store memory`, without the default deadline",
          List.of("server", "-deadline"), jar, Kind.LAYERED));
      variants.add(new Variant("server-metrics-deadline", "`UserServer` as built for `--store memory`, without metrics and default deadline",
          List.of("server", "-metrics", "-deadline"), jar, Kind.LAYERED));
    }
    variants.add(new Variant("user-server", server, List.of(), jar, Kind.REAL));
    if (inProcess) {
      variants.add(new Variant("server-deadline", server + ", without the default deadline",
          List.of("server", "-deadline"), jar, Kind.LAYERED));
    }
    String baseline = args.string("baseline-jar", "");
    if (!baseline.isEmpty()) {
      Path before = Path.of(baseline).toAbsolutePath();
      for (String layer : CHANGED) {
        variants.add(new Variant("before+" + layer, "before: + " + layer, List.of(layer), before, Kind.LAYERED));
      }
      variants.add(new Variant("before-all", "before: all layers", LayeredServer.LAYERS, before, Kind.LAYERED));
      if (!inProcess) {
        // UserServer whole and without its default deadline on the baseline's classes: what the deadline cost
        // before, beside what it costs now.
        variants.add(new Variant("before-server", "before: `UserServer` as built for `--store memory`",
            List.of("server"), before, Kind.LAYERED));
        variants.add(new Variant("before-server-deadline", "before: `UserServer` as built for `--store memory`,"
            + " without the default deadline", List.of("server", "-deadline"), before, Kind.LAYERED));
      }
      variants.add(new Variant("before", "before: " + server, List.of(), before, Kind.REAL));
      if (inProcess) {
        variants.add(new Variant("before-server-deadline", "before: " + server + ", without the default deadline",
            List.of("server", "-deadline"), before, Kind.LAYERED));
      }
    }
    String only = args.string("variants", "");
    if (!only.isEmpty()) {
      List<String> known = variants.stream().map(Variant::name).toList();
      List<String> names = List.of(only.split(","));
      if (!known.containsAll(names)) {
        throw new IllegalArgumentException("--variants " + only + ": expected some of " + known);
      }
      variants.removeIf(variant -> !names.contains(variant.name()));
    }
  }

  private static List<String> concat(List<String> first, List<String> second) {
    List<String> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  static void run(Args args) throws Exception {
    new InterceptorBench(args).runAll();
  }

  private void runAll() throws Exception {
    String loadBefore = Machine.loadAverage();
    Files.createDirectories(work);
    for (int round = 1; round <= rounds; round++) {
      for (Variant variant : variants) {
        measure(variant, round);
      }
    }
    String report = report(loadBefore);
    BenchmarksFile.writeSection(inProcess ? "interceptors-in-process" : "interceptors", report);
    System.out.println(report);
  }

  private void measure(Variant variant, int round) throws Exception {
    if (inProcess) {
      measureInProcess(variant, round);
      return;
    }
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    List<String> start = new ArrayList<>();
    if (variant.real()) {
      start.addAll(List.of(java, "-jar", variant.jar().toString(), "--port", Integer.toString(port), "--store",
          "memory"));
    } else if (variant.kind() == Kind.CEILING) {
      start.addAll(List.of(java, "-cp", root.resolve("user-bench/target/classes") + File.pathSeparator
          + variant.jar(), BareServer.class.getName(), Integer.toString(port), "direct"));
    } else {
      start.addAll(List.of(java, "-cp", root.resolve("user-bench/target/classes") + File.pathSeparator
          + variant.jar(), LayeredServer.class.getName(), Integer.toString(port)));
      start.addAll(variant.layers());
    }
    try (ServerProcess server = ServerProcess.start("interceptors-" + variant.name() + "-" + round, "0", start, port,
        work)) {
      String id = LayeredServer.USER_ID;
      if (variant.real()) {
        try (Calls calls = new Calls(port, 1, false, "interceptors-" + round + "-" + System.nanoTime())) {
          UserResponse user = calls.seedUsers(1);
          id = user.getId();
        }
      }
      Path frame = LoadBench.writeFrame("GetUser", id, work.resolve("GetUser-" + id + ".grpc"));
      JitQuiet.WarmUp warmUp = JitQuiet.warmUp(server.pid(), Duration.ofSeconds(warmup), warmupMax,
          step -> h2load(port, frame, (int) step.toSeconds()));
      warmUps.add(warmUp);
      long before = ProcessProbe.cpuTicks(server.pid());
      Map<String, Long> threadsBefore = ServerThreads.ticksByGroup(server.pid());
      long calls = h2load(port, frame, duration);
      long ticks = ProcessProbe.cpuTicks(server.pid()) - before;
      Map<String, Long> threadsAfter = ServerThreads.ticksByGroup(server.pid());
      double rate = calls / (double) duration;
      double micros = ticks * 1e6 / ticksPerSecond / calls;
      rates.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(rate);
      cpu.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(micros);
      StringBuilder groups = new StringBuilder();
      for (String group : ServerThreads.GROUPS) {
        double groupMicros = (threadsAfter.getOrDefault(group, 0L) - threadsBefore.getOrDefault(group, 0L)) * 1e6
            / ticksPerSecond / calls;
        byThreads.computeIfAbsent(variant.name(), v -> new LinkedHashMap<>())
            .computeIfAbsent(group, g -> new ArrayList<>()).add(groupMicros);
        groups.append(String.format(Locale.ROOT, " %s %.2f", group, groupMicros));
      }
      System.out.printf("round %d %-12s %8.0f calls/s %6.2f CPU µs/call;%s; %s%n", round, variant.name(), rate,
          micros, groups, warmUp);
    }
  }

  /** Runs {@code LayerCost} in a JVM of its own on core 0: the variant's CPU per call, in-process. */
  private void measureInProcess(Variant variant, int round) throws Exception {
    String java = ServerProcess.jdkTool("java");
    List<String> start = new ArrayList<>(List.of("taskset", "-c", "0", java, "-cp",
        root.resolve("user-bench/target/classes") + File.pathSeparator + variant.jar(), LayerCost.class.getName(),
        Integer.toString(warmup), Integer.toString(duration)));
    start.addAll(variant.real() ? List.of("server") : variant.layers());
    String output = ServerProcess.run(start, warmup + duration + 120);
    Matcher result = LAYER_COST.matcher(output);
    if (!result.find()) {
      throw new IllegalStateException(variant.name() + ": cannot read LayerCost's output:\n" + output);
    }
    double micros = Double.parseDouble(result.group(1)) / 1000;
    double rate = Long.parseLong(result.group(2)) / (double) duration;
    rates.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(rate);
    cpu.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(micros);
    double bytes = Double.parseDouble(result.group(3));
    allocation.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(bytes);
    System.out.printf("round %d %-18s %8.0f calls/s %6.2f CPU µs/call %6.0f bytes/call (in-process)%n", round,
        variant.name(), rate, micros, bytes);
  }

  /** Runs h2load for {@code seconds} and returns the calls that succeeded; fails on any failed call. */
  private long h2load(int port, Path frame, int seconds) throws IOException, InterruptedException {
    List<String> command = List.of("taskset", "-c", "1", "h2load", "-D", seconds + "s", "-c",
        Integer.toString(connections), "-m", Integer.toString(streams), "-t", "1", "-H",
        "content-type: application/grpc",
        "-H", "te: trailers", "-d", frame.toString(), "http://127.0.0.1:" + port + "/user.UserService/GetUser");
    String output = ServerProcess.run(command, seconds + 60);
    Matcher requests = LoadBench.H2LOAD_REQUESTS.matcher(output);
    if (!requests.find()) {
      throw new IllegalStateException("cannot read h2load's output:\n" + output);
    }
    long failed = Long.parseLong(requests.group(5)) + Long.parseLong(requests.group(6));
    if (failed > 0) {
      throw new IllegalStateException("h2load saw " + failed + " failed or errored requests:\n" + output);
    }
    return Long.parseLong(requests.group(4));
  }

  private String report(String loadBefore) {
    StringBuilder md = new StringBuilder(inProcess
        ? "## Interceptors in-process: the CPU each layer of a call costs (issue 17)\n\n"
        : "## Interceptors: what each layer of a call costs (issue 17)\n\n");
    md.append(Machine.header(command, loadBefore));
    if (inProcess) {
      md.append("- Setup: `LayerCost` (user-bench), one JVM per run pinned to core 0 (SerialGC, 1 CPU): GetUser")
          .append(" through a blocking stub over gRPC's in-process transport, both sides on direct executors, so")
          .append(" that one thread runs the client, every layer and the handler, with no socket, no Netty and")
          .append(" no other thread; ").append(warmup).append(" s of unmeasured calls, then ").append(duration)
          .append(" s measured; ").append(rounds).append(" rounds, every variant in each. Variants: the constant")
          .append(" answer alone and with each layer as `InterceptorChain` and `UserServer` add it (`store`: the")
          .append(" real handlers on the memory store; `metrics`: grpc-opentelemetry on the transport, plus the")
          .append(" store timing with `store`), all layers, and `UserServer` built as `UserServerMain` builds it")
          .append(" for `--store memory` (metrics, default deadline). Rows \"before\": the same on the classes of")
          .append(" the baseline jar.\n");
      md.append("- CPU per call: the CPU time of the calling thread over the measured seconds divided by the calls")
          .append(" (the JIT's threads and SerialGC's pauses, in the VM thread, are left out: allocation shows only")
          .append(" as its cost in the calling thread); it includes the in-process client and transport, the same in")
          .append(" every")
          .append(" variant. A layer's cost: its variant minus the constant answer alone, same round. Calls/s is")
          .append(" one thread's closed loop, for orientation only. In-process, grpc-java hands the request and")
          .append(" answer objects across without serializing them; the `parsing` layer makes it serialize the")
          .append(" request (which a network client does on its side) and parse it, so its row overstates the")
          .append(" server's share.\n\n");
    } else {
      md.append("- Setup: GetUser with h2load `-c ").append(connections).append(" -m ").append(streams)
          .append(" -t 1` pinned to core 1, each server in its own process pinned to core 0 (a JVM there sees 1 CPU")
          .append(" and picks SerialGC). Each run: ")
          .append(JitQuiet.describe(warmUps, Duration.ofSeconds(warmup), warmupMax, "the server's"))
          .append(", then ").append(duration).append(" s measured; ").append(rounds)
          .append(" rounds, every variant restarted in")
          .append(" each. Variants: `LayeredServer` (user-bench) answering BareServer's constant on user-server's")
          .append(" transport (`directExecutor()`, same limits and keepalive), alone and with each layer as")
          .append(" `InterceptorChain` and `UserServer` add it (`store`: the real handlers on the memory store;")
          .append(" `metrics`: grpc-opentelemetry on the transport, plus the store timing with `store`), then")
          .append(" `user-server.jar` itself. Also, to find what our server pays beyond its layers: `BareServer")
          .append(" direct` (the ceiling of `executor.sh`, with its own builder options); the constant answer with")
          .append(" the health and reflection services and grpc-netty's log filter registered as `UserServer` does;")
          .append(" `UserServer` as `UserServerMain.newServer` builds it, whole and without metrics and/or the")
          .append(" default deadline. Rows \"before\": the same on the")
          .append(" classes of the baseline jar. `--variants a,b,...` runs some of them only; variants alternate")
          .append(" within each round.\n");
      md.append("- CPU per call: the server process's user + system CPU time over the measured run")
          .append(" (`/proc/PID/stat`, all threads, JIT and GC included) divided by the calls h2load completed. A")
          .append(" layer's cost: its variant's CPU per call minus the bare variant's of the same round; layers")
          .append(" are not additive (shared JIT, inlining and cache effects), so compare the \"all layers\" row")
          .append(" with their sum.\n\n");
    }
    boolean ceiling = cpu.containsKey("ceiling");
    md.append("| variant | calls/s | CPU µs per call | µs over the constant answer alone (same round)")
        .append(inProcess ? " | bytes allocated per call | bytes over the constant answer alone |\n"
            : ceiling ? " | calls/s, share of the ceiling's (same round) | CPU per call, the ceiling's over this one's"
                + " (same round) |\n" : " |\n")
        .append(inProcess ? "|---|---|---|---|---|---|\n" : ceiling ? "|---|---|---|---|---|---|\n" : "|---|---|---|---|\n");
    List<Double> bare = cpu.get("bare");
    List<Double> bareBytes = allocation.getOrDefault("bare", List.of());
    for (Variant variant : variants) {
      List<Double> values = cpu.get(variant.name());
      md.append("| ").append(variant.label()).append(" | ").append(Stats.spread(rates.get(variant.name()), "%.0f"))
          .append(" | ").append(Stats.spread(values, "%.2f")).append(" | ")
          .append(variant.name().equals("bare") || bare == null ? "–"
              : Stats.spread(differences(values, bare), "%+.2f"));
      if (inProcess) {
        List<Double> bytes = allocation.get(variant.name());
        md.append(" | ").append(Stats.spread(bytes, "%.0f")).append(" | ")
            .append(variant.name().equals("bare") || bareBytes.isEmpty() ? "–"
                : Stats.spread(differences(bytes, bareBytes), "%+.0f"));
      } else if (ceiling) {
        md.append(" | ").append(Stats.spread(percent(Stats.ratios(rates.get(variant.name()), rates.get("ceiling"))),
                "%.0f%%"))
            .append(" | ").append(Stats.spread(percent(Stats.ratios(cpu.get("ceiling"), values)), "%.0f%%"));
      }
      md.append(" |\n");
    }
    if (!byThreads.isEmpty()) {
      md.append("\nCPU µs per call by the server's threads (the same runs; per thread from `/proc/PID/task`;")
          .append(" a thread that ended during the run is missing):\n\n| variant |");
      ServerThreads.GROUPS.forEach(group -> md.append(' ').append(group).append(" |"));
      md.append("\n|---|").append("---|".repeat(ServerThreads.GROUPS.size())).append('\n');
      for (Variant variant : variants) {
        md.append("| ").append(variant.label()).append(" |");
        for (String group : ServerThreads.GROUPS) {
          md.append(' ').append(Stats.spread(byThreads.get(variant.name()).get(group), "%.2f")).append(" |");
        }
        md.append('\n');
      }
    }
    return md.toString();
  }

  private static List<Double> percent(List<Double> ratios) {
    return ratios.stream().map(ratio -> 100 * ratio).toList();
  }

  private static List<Double> differences(List<Double> values, List<Double> base) {
    List<Double> differences = new ArrayList<>();
    for (int i = 0; i < Math.min(values.size(), base.size()); i++) {
      differences.add(values.get(i) - base.get(i));
    }
    return differences;
  }
}
