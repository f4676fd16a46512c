package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** What every result records about where and when it was measured. */
final class Machine {

  private Machine() {}

  /** Returns the number of processors of the machine (not of this process's affinity mask). */
  static int processors() {
    try {
      return (int) Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(line -> line.startsWith("processor")).count();
    } catch (IOException e) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(line -> line.startsWith("model name"))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static String jdk() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
  }

  /** Returns the 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
  static String loadAverage() {
    try {
      List<String> parts = List.of(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+"));
      return String.join(" ", parts.subList(0, 3));
    } catch (IOException e) {
      return "unknown";
    }
  }

  static String now() {
    return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
  }

  /**
   * Returns the header lines of a result: machine, JDK, command, date and load before/after.
   *
   * @param command the documented command that produced the result
   * @param loadBefore the load average when the run started
   */
  static String header(String command, String loadBefore) {
    return "- Machine: " + processors() + " cores (`nproc`), " + cpuModel() + ", "
        + Math.round(Runtime.getRuntime().maxMemory() / 1024.0 / 1024.0) + " MiB max heap of the bench JVM\n"
        + "- JDK: " + jdk() + "; Node.js and tools as found on the PATH\n"
        + "- Command: `" + command.strip() + "`\n"
        + "- Date: " + now() + "\n"
        + "- Load average (1/5/15 min) before: " + loadBefore + "; after: " + loadAverage() + "\n";
  }
}
