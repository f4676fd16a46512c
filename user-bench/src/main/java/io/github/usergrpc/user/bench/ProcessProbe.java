package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a server process from the outside (jcmd and /proc), so that measuring it adds no code to the
 * server: its heap after a full GC, the live objects by class, open file descriptors, threads and resident
 * memory.
 */
final class ProcessProbe {

  private static final Pattern USED = Pattern.compile("used (\\d+)K");
  private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)");

  /** The live objects of one class. */
  record ClassCount(long instances, long bytes) {}

  private ProcessProbe() {}

  /**
   * Returns the heap used after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), in MiB: the sum of
   * the generations' "used", not metaspace. With several samples, the lowest, since a collection can leave
   * behind objects that died while it ran.
   *
   * <p>Both commands go through one jcmd attach ({@code -f}), so that the reading follows the GC at once,
   * not after a second jcmd JVM has started (half a second, in which a busy server allocates megabytes).
   * Under load the young generation still holds the buffers threads took right after the GC: see
   * {@link #liveObjects} for a figure without them.
   *
   * @param pid the JVM's process id
   * @param samples how many GC-and-read rounds to take, at least 1; each costs one jcmd run
   */
  static double heapAfterGcMiB(long pid, int samples) throws IOException, InterruptedException {
    String jcmd = ServerProcess.jdkTool("jcmd");
    Path commands = Files.createTempFile("gc-heap-info", ".jcmd");
    List<Double> values = new ArrayList<>();
    try {
      Files.writeString(commands, "GC.run\nGC.heap_info\n");
      for (int i = 0; i < samples; i++) {
        values.add(usedMiB(pid, ServerProcess.run(List.of(jcmd, Long.toString(pid), "-f", commands.toString()), 60)));
      }
    } finally {
      Files.deleteIfExists(commands);
    }
    return Stats.min(values);
  }

  private static double usedMiB(long pid, String info) throws IOException {
    long usedKb = 0;
    for (String line : info.split("\n", -1)) {
      String trimmed = line.trim();
      if (trimmed.startsWith("Metaspace") || trimmed.startsWith("class space")) {
        continue;
      }
      Matcher used = USED.matcher(line);
      if ((trimmed.contains("generation") || trimmed.contains("heap")) && used.find()) {
        usedKb += Long.parseLong(used.group(1));
      }
    }
    if (usedKb == 0) {
      throw new IOException("no heap figures in jcmd GC.heap_info of " + pid + ": " + info);
    }
    return usedKb / 1024.0;
  }

  /**
   * The live objects of a heap.
   *
   * @param byClass instances and bytes per class name
   * @param bytes the total
   */
  record LiveObjects(Map<String, ClassCount> byClass, long bytes) {
    double mebibytes() {
      return bytes / 1024.0 / 1024.0;
    }
  }

  /**
   * Returns the live objects by class and their total ({@code jcmd GC.class_histogram}), counted at the
   * safepoint of the full GC that the command runs first. Unlike {@link #heapAfterGcMiB}, this leaves out what
   * threads allocate right after the GC: under load GC.heap_info counted a few MiB of fresh thread-local
   * allocation buffers in the young generation, more or less depending on which threads were busy.
   */
  static LiveObjects liveObjects(long pid) throws IOException, InterruptedException {
    String jcmd = ServerProcess.jdkTool("jcmd");
    String output = ServerProcess.run(List.of(jcmd, Long.toString(pid), "GC.class_histogram"), 60);
    Map<String, ClassCount> byClass = new HashMap<>();
    long total = -1;
    for (String line : output.split("\n", -1)) {
      Matcher row = HISTOGRAM_ROW.matcher(line);
      Matcher sum = HISTOGRAM_TOTAL.matcher(line);
      if (row.find()) {
        byClass.put(row.group(3), new ClassCount(Long.parseLong(row.group(1)), Long.parseLong(row.group(2))));
      } else if (sum.find()) {
        total = Long.parseLong(sum.group(2));
      }
    }
    if (total < 0) {
      throw new IOException("no Total line in jcmd GC.class_histogram of " + pid + ": " + output);
    }
    return new LiveObjects(Map.copyOf(byClass), total);
  }

  /** Returns the process's user plus system CPU time, all threads, in clock ticks ({@code /proc/PID/stat}). */
  static long cpuTicks(long pid) throws IOException {
    return cpuTicksOf(Files.readString(Path.of("/proc/" + pid + "/stat")));
  }

  /**
   * Returns the user plus system CPU time, in clock ticks, of a {@code /proc/PID/stat} or
   * {@code /proc/PID/task/TID/stat} line.
   */
  static long cpuTicksOf(String stat) {
    // After the command (in parentheses, which may hold spaces): state is field 3; utime and stime are fields
    // 14 and 15.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 14);
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** Returns the clock ticks per second of {@link #cpuTicks} ({@code getconf CLK_TCK}). */
  static synchronized long ticksPerSecond() throws IOException, InterruptedException {
    if (ticksPerSecond == 0) {
      ticksPerSecond = Long.parseLong(ServerProcess.run(List.of("getconf", "CLK_TCK"), 10).strip());
    }
    return ticksPerSecond;
  }

  private static long ticksPerSecond;

  /** Returns the number of open file descriptors (sockets, files, pipes) of the process. */
  static int openFileDescriptors(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) fds.count();
    }
  }

  /** Returns the number of threads of the process, JVM-internal ones (GC, JIT) included. */
  static int threads(long pid) throws IOException {
    return (int) status(pid, "Threads:");
  }

  /** Returns the resident set size of the process, in MiB. */
  static double residentMiB(long pid) throws IOException {
    return status(pid, "VmRSS:") / 1024.0;
  }

  /** Returns the number of a /proc/PID/status line, such as {@code VmRSS:   123456 kB}. */
  private static long status(long pid, String key) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(key)) {
        return Long.parseLong(line.substring(key.length()).trim().split("\\s+", -1)[0]);
      }
    }
    throw new IOException("no " + key + " in /proc/" + pid + "/status");
  }
}
