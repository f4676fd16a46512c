package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.client.UserClient;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.testkit.FakeUserService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client side.
 *
 * <ol>
 *   <li>Facade overhead: GetUser through {@link UserClient#getUser} against GetUser through the raw async
 *       stub, same server (user-server.jar, memory store, core 0), same load (closed loop, same connections
 *       and calls in flight, this JVM on core 1), alternating facade and stub runs so that drift hits both.
 *   <li>Fake start plus first call: a fresh {@link FakeUserService} (user-testkit), its client, and the
 *       first call, timed end to end; cold (the first in a fresh JVM) and warm (the following ones).
 * </ol>
 */
final class ClientBench {

  private static final Pattern FAKE = Pattern.compile("cold ([0-9.]+) warm-p50 ([0-9.]+) warm-p99 ([0-9.]+)");

  private ClientBench() {}

  static void run(Args args) throws Exception {
    String loadBefore = Machine.loadAverage();
    Path root = BenchmarksFile.repositoryRoot();
    int rounds = args.integer("rounds", 3);
    int connections = args.integer("connections", 4);
    int concurrency = args.integer("concurrency", 16);
    Duration warmup = args.seconds("warmup", 5);
    Duration duration = args.seconds("duration", 10);
    List<Double> stub = new ArrayList<>();
    List<Double> facade = new ArrayList<>();
    List<Double> stubP99 = new ArrayList<>();
    List<Double> facadeP99 = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    List<Double> stubCpu = new ArrayList<>();
    List<Double> facadeCpu = new ArrayList<>();
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    try (ServerProcess server = ServerProcess.start("client-server", "0", List.of(java, "-jar",
        root.resolve("user-server/target/user-server.jar").toString(), "--port", Integer.toString(port),
        "--store", "memory"), port, root.resolve("user-bench/target/client"));
        Calls raw = new Calls(port, connections, false, "client-bench-" + System.nanoTime());
        Calls viaFacade = new Calls(port, connections, true, "client-bench-f-" + System.nanoTime())) {
      UserResponse user = raw.seedUsers(100);
      // Warm this JVM's JIT for both paths first: the first run in a JVM is slower whichever it is.
      LoadGenerator.closedLoop(raw.getUser(user.getId()), concurrency, warmup, warmup);
      LoadGenerator.closedLoop(viaFacade.getUser(user.getId()), concurrency, warmup, warmup);
      for (int round = 1; round <= rounds; round++) {
        boolean stubFirst = round % 2 == 1;
        LoadGenerator.Result a = null;
        LoadGenerator.Result b = null;
        for (int i = 0; i < 2; i++) {
          boolean runStub = (i == 0) == stubFirst;
          LoadGenerator.Result result = LoadGenerator.closedLoop(
              (runStub ? raw : viaFacade).getUser(user.getId()), concurrency, warmup, duration);
          System.out.printf("round %d %-6s %8.0f calls/s p50 %.2f ms p99 %.2f ms, %.1f us client CPU per call,"
              + " errors %d%n", round, runStub ? "stub" : "facade", result.throughput(), result.millis(50),
              result.millis(99), result.cpuMicrosPerCall(), result.errors());
          if (result.errors() > 0) {
            throw new IllegalStateException("errors during the run");
          }
          if (runStub) {
            a = result;
          } else {
            b = result;
          }
        }
        stub.add(a.throughput());
        facade.add(b.throughput());
        stubP99.add(a.millis(99));
        stubCpu.add(a.cpuMicrosPerCall());
        facadeCpu.add(b.cpuMicrosPerCall());
        facadeP99.add(b.millis(99));
        ratios.add(100 * (1 - b.throughput() / a.throughput()));
      }
      if (args.flag("attribution")) {
        attribution(port, user.getId(), rounds, concurrency, connections, warmup, duration);
      }
    }
    // Fake start plus first call, each round in a fresh JVM.
    List<Double> cold = new ArrayList<>();
    List<Double> warmP50 = new ArrayList<>();
    List<Double> warmP99 = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      String output = ServerProcess.run(List.of("taskset", "-c", args.string("client-cpu", "1"), java, "-cp",
          System.getProperty("java.class.path"), BenchMain.class.getName(), "fake-start", "--iterations",
          Integer.toString(args.integer("iterations", 100))), 600);
      Matcher m = FAKE.matcher(output);
      if (!m.find()) {
        throw new IllegalStateException("fake-start printed no result:\n" + output);
      }
      cold.add(Double.parseDouble(m.group(1)));
      warmP50.add(Double.parseDouble(m.group(2)));
      warmP99.add(Double.parseDouble(m.group(3)));
      System.out.println("round " + round + " fake start: " + m.group());
    }
    StringBuilder md = new StringBuilder("## Client: facade overhead, and fake start plus first call\n\n");
    md.append(Machine.header(args.string("command", "scripts/bench/client.sh"), loadBefore));
    md.append("- Facade overhead: one `user-server.jar --store memory` on core 0; in the bench JVM on core 1, GetUser"
        + " of one user in a closed loop with ").append(concurrency).append(" calls in flight over ")
        .append(connections).append(" connections, either through `UserClient.getUser` (one client per connection,"
            + " built with `setChannelBuilder`, defaults otherwise: request validation, deadline, retry policy)"
            + " or through the generated async stub on the same kind of channels. Each run ")
        .append(warmup.toSeconds()).append(" s warm-up, ").append(duration.toSeconds())
        .append(" s measured, after one unmeasured run of each to warm the JIT; stub and facade alternate, ").append(rounds).append(" pairs. Throughput is what the"
            + " same server gives each client under the same load; the client's own cost is shown apart as the CPU"
            + " time of the bench JVM per call, because on these machines the one-core server, not the client, may"
            + " be the bottleneck and then hides it.\n"
            + "- Fake start plus first call: `FakeUserService.newBuilder().build().start()` (user-testkit: the real"
            + " service on an in-memory store, in process), then `fake.client().createUser(...).join()`, timed from"
            + " nothing to the answer, then the fake closed. Cold: the first in a fresh JVM; warm: the next ")
        .append(args.integer("iterations", 100)).append(" in the same JVM.\n\n");
    md.append("| measurement | median (min–max, n) |\n|---|---|\n");
    md.append("| raw async stub, GetUser calls/s | ").append(Stats.spread(stub, "%.0f")).append(" |\n");
    md.append("| `UserClient.getUser`, GetUser calls/s | ").append(Stats.spread(facade, "%.0f")).append(" |\n");
    md.append("| raw async stub, client CPU per call (µs, whole bench JVM) | ").append(Stats.spread(stubCpu, "%.1f"))
        .append(" |\n");
    md.append("| `UserClient.getUser`, client CPU per call (µs, whole bench JVM) | ")
        .append(Stats.spread(facadeCpu, "%.1f")).append(" |\n");
    md.append("| raw async stub p99 (ms) | ").append(Stats.spread(stubP99, "%.2f")).append(" |\n");
    md.append("| `UserClient.getUser` p99 (ms) | ").append(Stats.spread(facadeP99, "%.2f")).append(" |\n");
    md.append("| fake start plus first call, cold (ms) | ").append(Stats.spread(cold, "%.1f")).append(" |\n");
    md.append("| fake start plus first call, warm p50 (ms) | ").append(Stats.spread(warmP50, "%.1f")).append(" |\n");
    md.append("| fake start plus first call, warm p99 (ms) | ").append(Stats.spread(warmP99, "%.1f")).append(" |\n");
    md.append("\nTargets:\n\n| target | measured | met? |\n|---|---|---|\n");
    md.append("| facade throughput loss < 5% (1 − facade/stub, per pair) | ").append(Stats.spread(ratios, "%.1f%%"))
        .append(" | ").append(Stats.median(ratios) < 5 ? "yes" : "**no**").append(" |\n");
    md.append("| fake start plus first call < 50 ms warm (p50) | ").append(Stats.spread(warmP50, "%.1f ms"))
        .append(" | ").append(Stats.median(warmP50) < 50 ? "yes" : "**no**").append(" |\n");
    BenchmarksFile.writeSection("client", md.toString());
    System.out.println(md);
  }

  /**
   * With {@code --attribution}: the stub with a per-call deadline and the facade without request validation
   * beside the two plain runs, to tell what the facade's CPU per call goes to. Printed only.
   */
  private static void attribution(int port, String userId, int rounds, int concurrency, int connections,
      Duration warmup, Duration duration) throws InterruptedException {
    String prefix = "attribution-" + System.nanoTime();
    try (Calls stub = new Calls(port, connections, false, prefix);
        Calls stubDeadline = new Calls(port, connections, false, prefix, b -> b, true);
        Calls facade = new Calls(port, connections, true, prefix);
        Calls facadeNoValidation = new Calls(port, connections, true, prefix, b -> b.setValidateRequests(false),
            false)) {
      Map<String, Calls> variants = new java.util.LinkedHashMap<>();
      variants.put("stub", stub);
      variants.put("stub + per-call deadline", stubDeadline);
      variants.put("facade, validation off", facadeNoValidation);
      variants.put("facade", facade);
      for (Calls calls : variants.values()) {
        LoadGenerator.closedLoop(calls.getUser(userId), concurrency, warmup, warmup);
      }
      Map<String, List<Double>> cpu = new java.util.LinkedHashMap<>();
      for (int round = 1; round <= rounds; round++) {
        for (Map.Entry<String, Calls> variant : variants.entrySet()) {
          LoadGenerator.Result result = LoadGenerator.closedLoop(variant.getValue().getUser(userId), concurrency,
              warmup, duration);
          cpu.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(result.cpuMicrosPerCall());
          System.out.printf("attribution round %d %-26s %8.0f calls/s, %.1f us client CPU per call%n", round,
              variant.getKey(), result.throughput(), result.cpuMicrosPerCall());
        }
      }
      cpu.forEach((name, values) -> System.out.printf("attribution %-26s client CPU per call: %s us%n", name,
          Stats.spread(values, "%.1f")));
    }
  }

  /** Child JVM: times fake start plus first call, once cold, then {@code iterations} times warm. */
  static void fakeStart(Args args) throws Exception {
    int iterations = args.integer("iterations", 100);
    double cold = fakeStartOnce(0);
    List<Double> warm = new ArrayList<>();
    for (int i = 1; i <= iterations; i++) {
      warm.add(fakeStartOnce(i));
    }
    List<Double> sorted = new ArrayList<>(warm);
    java.util.Collections.sort(sorted);
    double p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
    System.out.printf(java.util.Locale.ROOT, "cold %.2f warm-p50 %.2f warm-p99 %.2f%n", cold, Stats.median(warm), p99);
  }

  private static double fakeStartOnce(int i) {
    long start = System.nanoTime();
    try (FakeUserService fake = FakeUserService.newBuilder().build().start()) {
      fake.client().createUser("fake-" + i + "@example.com", "Fake User", "viewer").join();
      return (System.nanoTime() - start) / 1e6;
    }
  }
}
