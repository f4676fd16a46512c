package io.github.usergrpc.user.bench;

import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What live watches cost while nothing happens, with the activity on JetStream (issue 18): each watched user is
 * an ordered consumer whose pull request the server answers with heartbeats while it waits and with a timeout
 * status when it expires, after which the client pulls again. One {@code user-server.jar} on the embedded
 * store with its activity on the local NATS server (a stream of the run's own, deleted afterwards),
 * {@code watchers} users each watched live over {@value #CONNECTIONS} connections, no traffic; after
 * {@code settle} seconds, the CPU of the server, of the NATS server and of this JVM (the watchers) over
 * {@code seconds}. With {@code --baseline-jar}, another build the same way in each round, the two alternating
 * which goes first.
 */
final class IdleWatchBench {

  private static final int CONNECTIONS = 10;

  private final Path root = BenchmarksFile.repositoryRoot();
  private final Path work = root.resolve("user-bench/target/idle-watch");
  private final String nats;
  private final int rounds;
  private final int watchers;
  private final Duration settle;
  private final Duration measured;
  private final String command;
  /** Each variant's name and jar: this build first, then the baseline, if any. */
  private final Map<String, Path> jars = new LinkedHashMap<>();
  /** Per variant and process group, CPU ms per second of each round. */
  private final Map<String, Map<String, List<Double>>> cpu = new LinkedHashMap<>();
  private int runs;

  private IdleWatchBench(Args args) {
    nats = args.string("nats", "nats://127.0.0.1:4222");
    rounds = args.integer("rounds", 3);
    watchers = args.integer("watchers", 1000);
    settle = args.seconds("settle", 20);
    measured = args.seconds("seconds", 60);
    command = args.string("command", "scripts/bench/idle-watch.sh");
    jars.put("this build", root.resolve("user-server/target/user-server.jar"));
    String baseline = args.string("baseline-jar", "");
    if (!baseline.isEmpty()) {
      jars.put("baseline", Path.of(baseline).toAbsolutePath());
    }
  }

  static void run(Args args) throws Exception {
    new IdleWatchBench(args).run();
  }

  private void run() throws Exception {
    String loadBefore = Machine.loadAverage();
    List<String> names = new ArrayList<>(jars.keySet());
    for (int round = 1; round <= rounds; round++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((i + round - 1) % names.size());
        Map<String, Double> perSecond = measure(name, jars.get(name));
        System.out.printf("round %d, %s: %s (ms of CPU per s)%n", round, name, perSecond);
        perSecond.forEach((group, value) -> cpu.computeIfAbsent(name, k -> new LinkedHashMap<>())
            .computeIfAbsent(group, k -> new ArrayList<>()).add(value));
      }
    }
    String report = report(loadBefore);
    BenchmarksFile.writeSection("idle-watch", report);
    System.out.println(report);
  }

  private Map<String, Double> measure(String name, Path jar) throws Exception {
    runs++;
    String stream = "IDLE_" + ProcessHandle.current().pid() + "_" + runs;
    Path data = work.resolve("run" + runs);
    Directories.deleteTree(data);
    Files.createDirectories(data);
    int port = ServerProcess.freePort();
    String java = ServerProcess.jdkTool("java");
    List<ManagedChannel> channels = new ArrayList<>();
    try (ServerProcess server = ServerProcess.start("idle-watch-" + runs, "", List.of(java, "-jar", jar.toString(),
        "--port", Integer.toString(port), "--store", "sqlite:" + data.resolve("users.db"), "--activity", nats,
        "--activity-stream", stream), port, work)) {
      for (int c = 0; c < CONNECTIONS; c++) {
        channels.add(Calls.channelBuilder(port).build());
      }
      List<UserResponse> users = WatchStreams.createUsers(channels, watchers);
      WatchStreams streams = new WatchStreams();
      for (int i = 0; i < watchers; i++) {
        streams.open(channels.get(i % CONNECTIONS), users.get(i).getId());
      }
      streams.awaitStarted(Duration.ofMinutes(2));
      Thread.sleep(settle.toMillis());
      ProcessCpu processes = new ProcessCpu()
          .group("server", ProcessCpu.pids(List.of(server.pid())))
          .group("nats-server", ProcessCpu.commandContains("nats-server"))
          .group("watchers (bench JVM)", ProcessCpu.pids(List.of(ProcessHandle.current().pid())));
      processes.start();
      Thread.sleep(measured.toMillis());
      Map<String, Double> perSecond = processes.perSecond();
      if (streams.errors.get() > 0) {
        throw new IllegalStateException(name + ": " + streams.errors.get() + " watches ended: " + streams.firstCloses);
      }
      streams.cancelFrom(0);
      return perSecond;
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      ScaleOutBench.deleteStream(nats, stream);
      Directories.deleteTree(data);
    }
  }

  private String report(String loadBefore) {
    StringBuilder md = new StringBuilder("## Idle watches on JetStream: what waiting costs (issue 18)\n\n");
    md.append(Machine.header(command, loadBefore));
    md.append("- Setup: one `user-server.jar` (default JVM flags, not pinned) on the embedded store (SQLite, a"
        + " fresh file per run) with `--activity ").append(nats).append("` (a stream of the run's own, deleted"
        + " afterwards); ").append(watchers).append(" users created, each watched live (`WatchUserActivity`, no"
        + " resume point) over ").append(CONNECTIONS).append(" connections from this JVM; no other call. After ")
        .append(settle.toSeconds()).append(" s, the CPU (`/proc/PID/stat`, all threads) of the server, of the"
        + " NATS server (the machine's, shared) and of this JVM over ").append(measured.toSeconds())
        .append(" s; ").append(rounds).append(" rounds, every variant restarted in each, the order rotating"
        + " by round.\n\n");
    md.append("CPU in ms per second, median (min–max, n) of the rounds:\n\n| build |");
    List<String> groups = new ArrayList<>(cpu.values().iterator().next().keySet());
    groups.forEach(group -> md.append(' ').append(group).append(" |"));
    md.append("\n|---|").append("---|".repeat(groups.size())).append('\n');
    cpu.forEach((name, byGroup) -> {
      md.append("| ").append(name).append(" (`").append(jars.get(name)).append("`) |");
      groups.forEach(group -> md.append(' ').append(Stats.spread(byGroup.get(group), "%.1f")).append(" |"));
      md.append('\n');
    });
    return md.toString();
  }
}
