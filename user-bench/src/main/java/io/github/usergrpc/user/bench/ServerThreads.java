package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The threads of a server JVM, read from the outside ({@code /proc/PID/task}), grouped by what they do: the
 * transport's event loops (where every call runs on a direct executor), the JIT compilers, the collector and
 * the VM thread, and the rest (timers, health checks).
 */
final class ServerThreads {

  static final String EVENT_LOOP = "event loop";
  static final String JIT = "JIT";

  /** The groups, in the order of a report. */
  static final List<String> GROUPS = List.of(EVENT_LOOP, JIT, "GC and VM", "other");

  private ServerThreads() {}

  /** Returns the group of {@link #GROUPS} of a thread, by its name as /proc shows it (15 characters). */
  static String group(String name) {
    if (name.startsWith("grpc-") || name.contains("worker") || name.contains("ELG") || name.contains("epoll")) {
      return EVENT_LOOP;
    }
    if (name.contains("CompilerThre")) {
      return JIT;
    }
    if (name.startsWith("VM Thread") || name.startsWith("GC ") || name.startsWith("G1 ")) {
      return "GC and VM";
    }
    return "other";
  }

  /**
   * Returns the user plus system CPU ticks ({@link ProcessProbe#ticksPerSecond}) of each group's threads that
   * are alive now; a thread that ended is missing.
   */
  static Map<String, Long> ticksByGroup(long pid) throws IOException {
    Map<String, Long> ticks = new LinkedHashMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException ended) {
          continue; // the thread ended between listing and reading
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        ticks.merge(group(name), ProcessProbe.cpuTicksOf(stat), Long::sum);
      }
    }
    return ticks;
  }
}
