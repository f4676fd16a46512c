package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.server.LayerCost;
import io.github.usergrpc.user.server.LayeredServer;
import io.github.usergrpc.user.v1.UserResponse;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * <p>{@code BenchMain interceptors [--rounds 3] [--duration 10] [--warmup 5] [--streams 8]
 * [--baseline-jar PATH]}
 */
final class InterceptorBench {

  /**
   * One server: {@code LayeredServer} with {@code layers} on the classes of {@code jar}, or, when
   * {@code real}, {@code jar} itself with {@code --store memory}.
   */
  private record Variant(String name, String label, List<String> layers, Path jar, boolean real) {}

  /** The layers this branch changed, measured on the baseline jar too. */
  private static final List<String> CHANGED = List.of("store", "parsing", "validation");

  private static final Pattern LAYER_COST = Pattern.compile(
      "cpu-ns-per-call ([0-9.]+) calls (\\d+) alloc-bytes-per-call ([0-9.]+)");

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/interceptors");
  private final int rounds;
  private final int duration;
  private final int warmup;
  private final int connections;
  private final int streams;
  private final String command;
  private final List<Variant> variants = new ArrayList<>();
  private final Map<String, List<Double>> rates = new LinkedHashMap<>();
  private final Map<String, List<Double>> cpu = new LinkedHashMap<>();
  private final Map<String, List<Double>> allocation = new LinkedHashMap<>();
  private final long ticksPerSecond;
  private final boolean inProcess;

  private InterceptorBench(Args args) throws IOException, InterruptedException {
    rounds = args.integer("rounds", 3);
    duration = args.integer("duration", 10);
    warmup = args.integer("warmup", 5);
    connections = args.integer("connections", 16);
    streams = args.integer("streams", 8);
    command = args.string("command", "scripts/bench/interceptors.sh");
    inProcess = args.flag("in-process");
    ticksPerSecond = Long.parseLong(ServerProcess.run(List.of("getconf", "CLK_TCK"), 10).strip());
    Path jar = root.resolve("user-server/target/user-server.jar");
    variants.add(new Variant("bare", "constant answer, no layer", List.of(), jar, false));
    for (String layer : LayeredServer.LAYERS) {
      variants.add(new Variant("+" + layer, "+ " + layer, List.of(layer), jar, false));
    }
    variants.add(new Variant("all", "all layers", LayeredServer.LAYERS, jar, false));
    String server = inProcess ? "`UserServer` as for `--store memory`" : "`user-server.jar --store memory`";
    variants.add(new Variant("user-server", server, List.of(), jar, true));
    String baseline = args.string("baseline-jar", "");
    if (!baseline.isEmpty()) {
      Path before = Path.of(baseline).toAbsolutePath();
      for (String layer : CHANGED) {
        variants.add(new Variant("before+" + layer, "before: + " + layer, List.of(layer), before, false));
      }
      variants.add(new Variant("before-all", "before: all layers", LayeredServer.LAYERS, before, false));
      variants.add(new Variant("before", "before: " + server, List.of(), before, true));
    }
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
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> start = new ArrayList<>();
    if (variant.real()) {
      start.addAll(List.of(java, "-jar", variant.jar().toString(), "--port", Integer.toString(port), "--store",
          "memory"));
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
      h2load(port, frame, warmup);
      long before = cpuTicks(server.pid());
      long calls = h2load(port, frame, duration);
      long ticks = cpuTicks(server.pid()) - before;
      double rate = calls / (double) duration;
      double micros = ticks * 1e6 / ticksPerSecond / calls;
      rates.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(rate);
      cpu.computeIfAbsent(variant.name(), v -> new ArrayList<>()).add(micros);
      System.out.printf("round %d %-12s %8.0f calls/s %6.2f CPU µs/call%n", round, variant.name(), rate, micros);
    }
  }

  /** Runs {@code LayerCost} in a JVM of its own on core 0: the variant's CPU per call, in-process. */
  private void measureInProcess(Variant variant, int round) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
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

  /** Returns the process's user plus system CPU time, all threads, in clock ticks ({@code /proc/PID/stat}). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
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
          .append(" and picks SerialGC). Each run: ").append(warmup).append(" s of unmeasured load, then ")
          .append(duration).append(" s measured; ").append(rounds).append(" rounds, every variant restarted in")
          .append(" each. Variants: `LayeredServer` (user-bench) answering BareServer's constant on user-server's")
          .append(" transport (`directExecutor()`, same limits and keepalive), alone and with each layer as")
          .append(" `InterceptorChain` and `UserServer` add it (`store`: the real handlers on the memory store;")
          .append(" `metrics`: grpc-opentelemetry on the transport, plus the store timing with `store`), then")
          .append(" `user-server.jar` itself. Rows \"before\": the same on the classes of the baseline jar.\n");
      md.append("- CPU per call: the server process's user + system CPU time over the measured run")
          .append(" (`/proc/PID/stat`, all threads, JIT and GC included) divided by the calls h2load completed. A")
          .append(" layer's cost: its variant's CPU per call minus the bare variant's of the same round; layers")
          .append(" are not additive (shared JIT, inlining and cache effects), so compare the \"all layers\" row")
          .append(" with their sum.\n\n");
    }
    md.append("| variant | calls/s | CPU µs per call | µs over the constant answer alone (same round)")
        .append(inProcess ? " | bytes allocated per call | bytes over the constant answer alone |\n" : " |\n")
        .append(inProcess ? "|---|---|---|---|---|---|\n" : "|---|---|---|---|\n");
    List<Double> bare = cpu.get("bare");
    List<Double> bareBytes = allocation.getOrDefault("bare", List.of());
    for (Variant variant : variants) {
      List<Double> values = cpu.get(variant.name());
      md.append("| ").append(variant.label()).append(" | ").append(Stats.spread(rates.get(variant.name()), "%.0f"))
          .append(" | ").append(Stats.spread(values, "%.2f")).append(" | ")
          .append(variant.name().equals("bare") ? "–" : Stats.spread(differences(values, bare), "%+.2f"));
      if (inProcess) {
        List<Double> bytes = allocation.get(variant.name());
        md.append(" | ").append(Stats.spread(bytes, "%.0f")).append(" | ")
            .append(variant.name().equals("bare") ? "–" : Stats.spread(differences(bytes, bareBytes), "%+.0f"));
      }
      md.append(" |\n");
    }
    return md.toString();
  }

  private static List<Double> differences(List<Double> values, List<Double> base) {
    List<Double> differences = new ArrayList<>();
    for (int i = 0; i < Math.min(values.size(), base.size()); i++) {
      differences.add(values.get(i) - base.get(i));
    }
    return differences;
  }
}
