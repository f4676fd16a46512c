package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests that run Node.js programs against the server share: finding {@code node} and {@code npm}
 * (skipping the test where they are missing, unless {@code REQUIRE_NODE=true}), the repository root, and
 * running a command with a time limit.
 */
final class NodeTools {

  static final String REQUIRE_NODE = "REQUIRE_NODE";

  private NodeTools() {}

  /** The result of {@link #run}: the exit code (-1 after a timeout) and stdout and stderr, merged. */
  record Result(int exitCode, boolean timedOut, String output) {

    /** Fails the test unless the command finished in time with exit code 0. */
    Result assertSucceeded(String what, Duration timeout) {
      assertThat(timedOut())
          .withFailMessage("%s did not finish within %s; its output:%n%s", what, timeout, output())
          .isFalse();
      assertThat(exitCode())
          .withFailMessage("%s exited with %d; its output:%n%s", what, exitCode(), output())
          .isZero();
      return this;
    }
  }

  /**
   * Returns the executable {@code name} on the PATH. When it is missing, skips the test, or fails it if
   * REQUIRE_NODE=true (environment variable or system property).
   */
  static Path requireTool(String name, String neededBy) {
    Optional<Path> found = findOnPath(name);
    if (found.isPresent()) {
      return found.get();
    }
    String message = "'" + name + "' is not on the PATH (" + System.getenv("PATH") + "); " + neededBy
        + " needs Node.js and npm";
    if ("true".equalsIgnoreCase(System.getenv(REQUIRE_NODE))
        || "true".equalsIgnoreCase(System.getProperty(REQUIRE_NODE))) {
      return fail(message + ", and " + REQUIRE_NODE + "=true");
    }
    Assumptions.abort(message + ". Skipped; set " + REQUIRE_NODE + "=true to make this a failure.");
    throw new AssertionError("unreachable");
  }

  /**
   * Returns the repository root: {@code maven.multiModuleProjectDirectory} when it is set and holds
   * {@code marker}, else the nearest directory holding {@code marker} at or above the working directory (the
   * module's basedir under surefire).
   */
  static Path repoRoot(Path marker) {
    String property = System.getProperty("maven.multiModuleProjectDirectory");
    if (property != null && !property.isBlank()) {
      Path candidate = Paths.get(property).toAbsolutePath().normalize();
      if (Files.exists(candidate.resolve(marker))) {
        return candidate;
      }
    }
    Path start = Paths.get("").toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(marker))) {
        return dir;
      }
    }
    return fail("cannot find the repository root: no directory holding %s at or above %s"
        + " (maven.multiModuleProjectDirectory=%s)", marker, start, property);
  }

  /**
   * Runs a command in {@code dir} with stderr merged into stdout and {@code environment} added to this
   * process's, killing it and its descendants after {@code timeout}.
   */
  static Result run(Path dir, Duration timeout, Map<String, String> environment, String... command)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process process = builder.start();
    process.getOutputStream().close(); // no input
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> copy(process.getInputStream(), output), "node-output-reader");
    reader.setDaemon(true);
    reader.start();
    boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    String text;
    synchronized (output) {
      text = output.toString(StandardCharsets.UTF_8);
    }
    return new Result(finished ? process.exitValue() : -1, !finished,
        "$ " + String.join(" ", command) + System.lineSeparator() + text);
  }

  private static Optional<Path> findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    List<String> names = windows ? List.of(name + ".exe", name + ".cmd", name) : List.of(name);
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      for (String file : names) {
        Path candidate;
        try {
          candidate = Paths.get(dir, file);
        } catch (RuntimeException e) { // an entry that is not a valid path
          continue;
        }
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        synchronized (out) {
          out.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // The process was killed; keep what was read.
    }
  }
}
