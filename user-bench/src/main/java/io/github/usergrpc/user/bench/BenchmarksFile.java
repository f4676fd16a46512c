package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * BENCHMARKS.md, one section per benchmark between {@code <!-- bench:NAME -->} and
 * {@code <!-- /bench:NAME -->} markers. A run replaces its own section and leaves the others alone, so the
 * file is regenerated, never appended to forever.
 */
final class BenchmarksFile {

  static final String[] ORDER = {"load", "serialization", "pagination", "watch", "client", "http", "soak-h2",
      "soak-postgres", "soak-memory", "embedded-store", "write", "scale-out", "idle-watch"};

  private BenchmarksFile() {}

  static Path repositoryRoot() {
    String root = System.getProperty("bench.root", System.getenv().getOrDefault("BENCH_ROOT", "."));
    return Path.of(root).toAbsolutePath().normalize();
  }

  /**
   * Replaces (or adds, in {@link #ORDER}) the section of one benchmark.
   *
   * @param name the section name, one of {@link #ORDER}
   * @param markdown the section's content, starting with its heading
   */
  static synchronized void writeSection(String name, String markdown) throws IOException {
    Path file = repositoryRoot().resolve("BENCHMARKS.md");
    String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : intro();
    String start = "<!-- bench:" + name + " -->";
    String end = "<!-- /bench:" + name + " -->";
    String block = start + "\n" + markdown.strip() + "\n" + end;
    int from = text.indexOf(start);
    if (from >= 0) {
      int to = text.indexOf(end, from);
      text = text.substring(0, from) + block + text.substring(to + end.length());
    } else {
      // Insert before the first section that comes later in ORDER, else at the end.
      int insertAt = -1;
      boolean after = false;
      for (String other : ORDER) {
        if (other.equals(name)) {
          after = true;
          continue;
        }
        int at = text.indexOf("<!-- bench:" + other + " -->");
        if (after && at >= 0) {
          insertAt = at;
          break;
        }
      }
      text = insertAt < 0
          ? text.stripTrailing() + "\n\n" + block + "\n"
          : text.substring(0, insertAt) + block + "\n\n" + text.substring(insertAt);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  private static String intro() {
    return "# Benchmarks\n\n"
        + "Measured results of the `user-bench` module (issue 7). Every section is written by its command"
        + " (see the README's \"Benchmarks\" section; `scripts/bench/all.sh` runs them all) and replaced, not"
        + " appended to, when the command runs again. The machines are shared 2-core VMs, so absolute"
        + " numbers are noisy: every target is a ratio measured side by side in one run, and each section"
        + " records the machine, the command, the date, the load average before and after, and the spread"
        + " of several runs.\n";
  }
}
