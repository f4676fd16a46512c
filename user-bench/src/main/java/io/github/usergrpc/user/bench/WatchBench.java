package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Watch streams at scale against the real server jar (memory store) in its own process on core 0, the
 * watchers in this JVM on core 1, over loopback Netty on several connections.
 *
 * <ol>
 *   <li>Heap: the server's heap used after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}) with
 *       10,000 users and no watch, then with 10,000 open watch streams (one per user).
 *   <li>Latency, 1,000 watchers of 1,000 users: 9,000 streams are cancelled, then users are updated at a
 *       fixed rate; the latency runs from sending UpdateUser to the watcher receiving its user.updated.
 *   <li>Latency, fan-out: 1,000 watchers of one user, each update delivered to all of them.
 * </ol>
 */
final class WatchBench {

  private final Path root = BenchmarksFile.repositoryRoot();
  private final int watchers;
  private final int latencyWatchers;
  private final int channels;
  private final int updates;
  private final int rate;

  private WatchBench(Args args) {
    watchers = args.integer("watchers", 10_000);
    latencyWatchers = args.integer("latency-watchers", 1_000);
    channels = args.integer("channels", 20);
    updates = args.integer("updates", 2_000);
    rate = args.integer("rate", 200);
  }

  record Round(double baselineMiB, double watchingMiB, Histogram spread, Histogram fanOut, long errors) {}

  static void run(Args args) throws Exception {
    String loadBefore = Machine.loadAverage();
    WatchBench bench = new WatchBench(args);
    int rounds = args.integer("rounds", 3);
    List<Round> results = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      results.add(bench.round(round));
    }
    String markdown = bench.report(args.string("command", "scripts/bench/watch.sh"), loadBefore, results);
    BenchmarksFile.writeSection("watch", markdown);
    System.out.println(markdown);
  }

  private Round round(int round) throws Exception {
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    List<ManagedChannel> connections = new ArrayList<>();
    try (ServerProcess server = ServerProcess.start("watch-server-" + round, "0", List.of(java, "-jar",
        root.resolve("user-server/target/user-server.jar").toString(), "--port", Integer.toString(port),
        "--store", "memory", "--max-watches", Integer.toString(watchers),
        // The fan-out opens latencyWatchers streams on one user; the server allows 100 by default.
        "--max-watches-per-user", Integer.toString(latencyWatchers)), port, root.resolve("user-bench/target/watch"))) {
      for (int i = 0; i < channels; i++) {
        connections.add(Calls.channelBuilder(port).build());
      }
      List<UserResponse> users = WatchStreams.createUsers(connections, watchers);
      double baseline = ProcessProbe.heapAfterGcMiB(server.pid(), 3);
      WatchStreams all = new WatchStreams();
      for (int i = 0; i < watchers; i++) {
        all.open(connections.get(i % channels), users.get(i).getId());
      }
      all.awaitStarted(Duration.ofMinutes(2));
      double watching = ProcessProbe.heapAfterGcMiB(server.pid(), 3);
      System.out.printf("round %d: heap %.1f MiB without watchers, %.1f MiB with %,d%n", round, baseline, watching,
          all.started());
      // 1,000 watchers of 1,000 users, measured in a steady state: after the 9,000 cancellations have been
      // processed and the update and delivery paths have been JIT-compiled by a first, unmeasured pass.
      all.cancelFrom(latencyWatchers);
      Thread.sleep(2000);
      IntFunction<ManagedChannel> roundRobin = i -> connections.get(i % channels);
      WatchStreams.updateAndMeasure(roundRobin, users.subList(0, latencyWatchers), all, Math.max(1, updates / 4),
          rate);
      Histogram spread = WatchStreams.updateAndMeasure(roundRobin, users.subList(0, latencyWatchers), all, updates,
          rate);
      all.cancelFrom(0);
      // Fan-out: 1,000 watchers of one user.
      WatchStreams fan = new WatchStreams();
      UserResponse popular = users.get(0);
      for (int i = 0; i < latencyWatchers; i++) {
        fan.open(connections.get(i % channels), popular.getId());
      }
      fan.awaitStarted(Duration.ofSeconds(60));
      Thread.sleep(1000);
      Histogram fanOut = WatchStreams.updateAndMeasure(roundRobin, List.of(popular), fan, Math.max(1, updates / 10),
          Math.max(1, rate / 10));
      fan.cancelFrom(0);
      System.out.printf("round %d: %,d watchers p50 %.2f p99 %.2f ms; fan-out p50 %.2f p99 %.2f ms%n", round,
          latencyWatchers, spread.getValueAtPercentile(50) / 1e6, spread.getValueAtPercentile(99) / 1e6,
          fanOut.getValueAtPercentile(50) / 1e6, fanOut.getValueAtPercentile(99) / 1e6);
      long errors = all.errors.get() + fan.errors.get() + all.undelivered.get() + fan.undelivered.get();
      if (errors > 0) {
        System.out.printf("round %d: streams ended by the server: %s %s; events not delivered: %d%n", round,
            all.closeCodes, fan.closeCodes, all.undelivered.get() + fan.undelivered.get());
      }
      return new Round(baseline, watching, spread, fanOut, errors);
    } finally {
      connections.forEach(ManagedChannel::shutdownNow);
    }
  }

  private String report(String command, String loadBefore, List<Round> rounds) {
    List<Double> baseline = rounds.stream().map(Round::baselineMiB).toList();
    List<Double> watching = rounds.stream().map(Round::watchingMiB).toList();
    List<Double> perWatch = rounds.stream().map(r -> (r.watchingMiB() - r.baselineMiB()) * 1024 * 1024 / watchers)
        .toList();
    List<Double> p50 = rounds.stream().map(r -> r.spread().getValueAtPercentile(50) / 1e6).toList();
    List<Double> p99 = rounds.stream().map(r -> r.spread().getValueAtPercentile(99) / 1e6).toList();
    List<Double> max = rounds.stream().map(r -> r.spread().getMaxValue() / 1e6).toList();
    List<Double> fanP50 = rounds.stream().map(r -> r.fanOut().getValueAtPercentile(50) / 1e6).toList();
    List<Double> fanP99 = rounds.stream().map(r -> r.fanOut().getValueAtPercentile(99) / 1e6).toList();
    long errors = rounds.stream().mapToLong(Round::errors).sum();
    StringBuilder md = new StringBuilder("## Watch: 10,000 streams on one server\n\n");
    md.append(Machine.header(command, loadBefore));
    md.append("- Server: `java -jar user-server/target/user-server.jar --store memory --max-watches ").append(watchers)
        .append(" --max-watches-per-user ").append(latencyWatchers).append("` (default JVM flags) pinned to core"
        + " 0; watchers and writers in the bench JVM on core 1, ").append(channels)
        .append(" Netty connections over loopback. Per round (").append(rounds.size()).append(" rounds, server"
        + " restarted): create ").append(String.format("%,d", watchers)).append(" users; heap used after `jcmd"
        + " GC.run` (`GC.heap_info`, sum of the generations, lowest of 3 samples) without watchers and with ")
        .append(String.format("%,d", watchers)).append(" open streams (one per user, each confirmed by its"
        + " response headers); then ").append(String.format("%,d", watchers - latencyWatchers))
        .append(" streams are cancelled, 2 s pass, ").append(Math.max(1, updates / 4))
        .append(" unmeasured updates warm the path, and ").append(String.format("%,d", updates))
        .append(" UpdateUser calls at ")
        .append(rate).append("/s go round-robin to the ").append(String.format("%,d", latencyWatchers))
        .append(" watched users: latency from sending the update to the watcher receiving `user.updated`."
            + " Fan-out: ").append(String.format("%,d", latencyWatchers)).append(" watchers of one user, ")
        .append(Math.max(1, updates / 10)).append(" updates at ").append(Math.max(1, rate / 10))
        .append("/s, latency to each watcher.\n\n");
    md.append("| measurement | median (min–max, n) |\n|---|---|\n");
    md.append("| heap used, ").append(String.format("%,d", watchers)).append(" users, no watcher (MiB) | ")
        .append(Stats.spread(baseline, "%.1f")).append(" |\n");
    md.append("| heap used, ").append(String.format("%,d", watchers)).append(" watch streams open (MiB) | ")
        .append(Stats.spread(watching, "%.1f")).append(" |\n");
    md.append("| heap per open watch stream (bytes) | ").append(Stats.spread(perWatch, "%.0f")).append(" |\n");
    md.append("| mutation-to-event p50, ").append(String.format("%,d", latencyWatchers)).append(" watchers (ms) | ")
        .append(Stats.spread(p50, "%.2f")).append(" |\n");
    md.append("| mutation-to-event p99, ").append(String.format("%,d", latencyWatchers)).append(" watchers (ms) | ")
        .append(Stats.spread(p99, "%.2f")).append(" |\n");
    md.append("| mutation-to-event max, ").append(String.format("%,d", latencyWatchers)).append(" watchers (ms) | ")
        .append(Stats.spread(max, "%.2f")).append(" |\n");
    md.append("| fan-out to ").append(String.format("%,d", latencyWatchers)).append(" watchers of one user, p50 (ms) | ")
        .append(Stats.spread(fanP50, "%.2f")).append(" |\n");
    md.append("| fan-out to ").append(String.format("%,d", latencyWatchers)).append(" watchers of one user, p99 (ms) | ")
        .append(Stats.spread(fanP99, "%.2f")).append(" |\n");
    md.append("| stream errors or events not delivered | ").append(errors).append(" |\n");
    md.append("\nTargets:\n\n| target | measured | met? |\n|---|---|---|\n");
    md.append("| ").append(String.format("%,d", watchers)).append(" watchers in < 512 MB of heap | ")
        .append(Stats.spread(watching, "%.1f MiB")).append(" | ")
        .append(Stats.max(watching) * 1024 * 1024 < 512e6 ? "yes" : "**no**").append(" |\n");
    md.append("| mutation-to-event p99 < 50 ms with ").append(String.format("%,d", latencyWatchers))
        .append(" watchers | ").append(Stats.spread(p99, "%.2f ms")).append(" | ")
        .append(Stats.median(p99) < 50 ? "yes" : "**no**").append(" |\n");
    return md.toString();
  }
}
