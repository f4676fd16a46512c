package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.grpc.InsecureServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tests that run Node.js programs against the server share: finding {@code node} and {@code npm}
 * (skipping the test where they are missing, unless {@code REQUIRE_NODE=true}), the repository root, running
 * a command with a time limit, installing and building packages, and the server they call.
 */
final class NodeTools {

  static final String REQUIRE_NODE = "REQUIRE_NODE";
  /** The TypeScript package, relative to the repository root. */
  static final Path TYPESCRIPT_DIR = Paths.get("clients", "typescript");
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(3);

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
   * Starts the reference server for a Node.js program to call: on a free loopback port, plaintext, on a
   * memory store, both registered with {@code cleanup}.
   *
   * @param configure sets more of the server, such as access tokens
   */
  static UserServer loopbackServer(GrpcCleanup cleanup, UnaryOperator<UserServer.Builder> configure)
      throws IOException {
    InMemoryUserStore store = cleanup.register(new InMemoryUserStore());
    return cleanup.register(configure.apply(UserServer.newBuilder(NettyServerBuilder.forAddress(
            new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create()))
        .setStore(store)).build().start());
  }

  /**
   * Runs {@code npm ci} in {@code dir} unless every one of {@code installed} (paths under its node_modules)
   * is there already.
   *
   * @param flags more flags for {@code npm ci}
   */
  static void installUnlessPresent(Path npm, Path dir, List<Path> installed, String... flags) throws Exception {
    Path modules = dir.resolve("node_modules");
    if (installed.stream().allMatch(module -> Files.isDirectory(modules.resolve(module)))) {
      return;
    }
    List<String> command = new ArrayList<>(List.of(npm.toString(), "ci"));
    command.addAll(List.of(flags));
    command.addAll(List.of("--no-audit", "--no-fund"));
    run(dir, NPM_CI_TIMEOUT, Map.of(), command.toArray(String[]::new))
        .assertSucceeded("npm ci in " + dir, NPM_CI_TIMEOUT);
  }

  /**
   * Installs (unless present) and builds the TypeScript package, clients/typescript ({@code buf generate}
   * and {@code tsc}), which the interop tests call the server with.
   *
   * @return the package's directory
   */
  static Path buildTypeScriptClient(Path npm) throws Exception {
    Path dir = repoRoot(TYPESCRIPT_DIR).resolve(TYPESCRIPT_DIR);
    installUnlessPresent(npm, dir, List.of(Paths.get("@connectrpc", "connect-node")));
    run(dir, BUILD_TIMEOUT, Map.of(), npm.toString(), "run", "build")
        .assertSucceeded("npm run build in " + dir, BUILD_TIMEOUT);
    return dir;
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
