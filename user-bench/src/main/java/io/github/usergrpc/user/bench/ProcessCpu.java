package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The CPU time of groups of processes over a phase of a benchmark, read from {@code /proc/<pid>/stat} (user
 * and system time), so that a figure covers that phase only and not the machine's load average, which mixes
 * in what ran before. Works for processes of other users too (PostgreSQL's, NATS's), whose {@link
 * ProcessHandle.Info} is empty.
 *
 * <p>A group is a predicate on a process's pid and command line ({@code /proc/<pid>/cmdline}, arguments
 * joined by spaces): PostgreSQL names its backends in it by database ({@code postgres: user db host}).
 * Processes that exit during the phase lose their time; ones that start count from zero.
 */
final class ProcessCpu {

  /** Clock ticks per second of /proc's times ({@code getconf CLK_TCK}): 100 on Linux everywhere. */
  private static final double TICKS_PER_SECOND = 100;

  /** A process as seen at a snapshot. */
  record Proc(long pid, String command) {}

  private final Map<String, Predicate<Proc>> groups = new LinkedHashMap<>();
  private Map<Long, Long> before = Map.of();
  private long startedNanos;

  /**
   * The groups of a run of replicas on a database of the run's own: each replica, the bench JVM, the
   * PostgreSQL backends of that database and the rest of PostgreSQL (its background writers, and other users'
   * sessions: the machine is shared), the NATS server, and everything else.
   */
  static ProcessCpu ofRun(List<ServerProcess> replicas, String database) {
    ProcessCpu cpu = new ProcessCpu();
    for (int r = 0; r < replicas.size(); r++) {
      cpu.group("replica" + r, pids(List.of(replicas.get(r).pid())));
    }
    return cpu.group("bench JVM", pids(List.of(ProcessHandle.current().pid())))
        .group("postgres (this database)", commandContains(" " + database + " "))
        .group("postgres (rest)", commandContains("postgres"))
        .group("nats-server", commandContains("nats-server"))
        .group("other processes", proc -> true);
  }

  /** Adds a group; the first group that matches a process takes it. */
  ProcessCpu group(String name, Predicate<Proc> member) {
    groups.put(name, member);
    return this;
  }

  /** Starts the phase. */
  void start() {
    before = ticks();
    startedNanos = System.nanoTime();
  }

  /** Returns each group's CPU over the phase since {@link #start}, in milliseconds per second of the phase. */
  Map<String, Double> perSecond() {
    double seconds = (System.nanoTime() - startedNanos) / 1e9;
    Map<Long, Long> after = ticks();
    Map<String, Double> result = new LinkedHashMap<>();
    groups.keySet().forEach(name -> result.put(name, 0.0));
    for (Map.Entry<Long, Long> process : after.entrySet()) {
      long used = process.getValue() - before.getOrDefault(process.getKey(), 0L);
      if (used <= 0) {
        continue;
      }
      Proc proc = new Proc(process.getKey(), command(process.getKey()));
      for (Map.Entry<String, Predicate<Proc>> group : groups.entrySet()) {
        if (group.getValue().test(proc)) {
          result.merge(group.getKey(), used * 1000 / TICKS_PER_SECOND / seconds, Double::sum);
          break;
        }
      }
    }
    return result;
  }

  /** Formats {@link #perSecond} as "name 123 ms/s, ...". */
  String report() {
    StringBuilder line = new StringBuilder();
    perSecond().forEach((name, value) -> line.append(line.length() == 0 ? "" : ", ")
        .append(String.format(java.util.Locale.ROOT, "%s %.0f", name, value)));
    return line.append(" (ms of CPU per s)").toString();
  }

  /** Returns a group member: a process whose command line contains {@code text}. */
  static Predicate<Proc> commandContains(String text) {
    return proc -> proc.command().contains(text);
  }

  /** Returns a group member: one of {@code pids}. */
  static Predicate<Proc> pids(List<Long> pids) {
    return proc -> pids.contains(proc.pid());
  }

  private static Map<Long, Long> ticks() {
    Map<Long, Long> result = new LinkedHashMap<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
      entries.map(p -> p.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
          .forEach(name -> {
            try {
              String stat = Files.readString(Path.of("/proc", name, "stat"), StandardCharsets.UTF_8);
              result.put(Long.parseLong(name), ProcessProbe.cpuTicksOf(stat));
            } catch (IOException | RuntimeException gone) {
              // The process exited meanwhile.
            }
          });
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return result;
  }

  private static String command(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ').trim();
    } catch (IOException gone) {
      return "";
    }
  }
}
