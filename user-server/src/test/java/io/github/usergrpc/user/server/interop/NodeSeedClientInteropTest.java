package io.github.usergrpc.user.server.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.server.store.InMemoryUserStore;
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
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code interop/node/seed-client.js}, a Node.js client written the way the original tutorial writes
 * it (@grpc/grpc-js + @grpc/proto-loader) and loading the untouched original contract
 * {@code user-api/src/test/seed/user.proto}, against this server over a real loopback port. It checks that
 * our user.proto stays a wire-compatible superset of the seed for an existing client in another language.
 *
 * <p>Needs {@code node} and {@code npm} on the PATH; {@code npm ci} runs in interop/node when its
 * node_modules is missing. Without them the test is skipped, unless the environment variable or system
 * property {@code REQUIRE_NODE=true} is set (as CI should), in which case it fails.
 */
class NodeSeedClientInteropTest {

  private static final String REQUIRE_NODE = "REQUIRE_NODE";
  private static final Path NODE_DIR = Paths.get("interop", "node");
  private static final Path SCRIPT = NODE_DIR.resolve("seed-client.js");
  /** The script gives up after 30 s by itself; this only guards against a hung process. */
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);

  @Test
  void seedClientPassesAgainstServer() throws Exception {
    Path node = requireTool("node");
    Path npm = requireTool("npm");
    Path root = repoRoot();
    installDependenciesIfMissing(npm, root.resolve(NODE_DIR));

    try (InMemoryUserStore store = new InMemoryUserStore();
        UserServer server = UserServer.newBuilder(
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                    InsecureServerCredentials.create()))
            .setStore(store)
            .build()
            .start()) {
      String address = "127.0.0.1:" + server.port();

      Result result = run(root, SCRIPT_TIMEOUT,
          node.toString(), SCRIPT.toString(), address);

      // Shown in target/surefire-reports/*-output.txt on success too.
      System.out.println(result.output());
      assertThat(result.timedOut())
          .withFailMessage("node %s %s did not finish within %s; its output:%n%s",
              SCRIPT, address, SCRIPT_TIMEOUT, result.output())
          .isFalse();
      assertThat(result.exitCode())
          .withFailMessage("node %s %s exited with %d; its output:%n%s",
              SCRIPT, address, result.exitCode(), result.output())
          .isZero();
    }
  }

  /** Runs {@code npm ci} in interop/node unless the client's dependencies are already installed. */
  private static void installDependenciesIfMissing(Path npm, Path nodeDir) throws Exception {
    Path modules = nodeDir.resolve("node_modules");
    if (Files.isDirectory(modules.resolve("@grpc").resolve("grpc-js"))
        && Files.isDirectory(modules.resolve("@grpc").resolve("proto-loader"))) {
      return;
    }
    // --ignore-scripts: the client needs no install scripts (protobufjs only has a version-check one).
    Result result = run(nodeDir, NPM_CI_TIMEOUT,
        npm.toString(), "ci", "--ignore-scripts", "--no-audit", "--no-fund");
    assertThat(result.timedOut())
        .withFailMessage("npm ci in %s did not finish within %s; its output:%n%s",
            nodeDir, NPM_CI_TIMEOUT, result.output())
        .isFalse();
    assertThat(result.exitCode())
        .withFailMessage("npm ci in %s exited with %d; its output:%n%s",
            nodeDir, result.exitCode(), result.output())
        .isZero();
  }

  /**
   * Returns the repository root: {@code maven.multiModuleProjectDirectory} when it is set and holds
   * interop/node, else the nearest directory holding interop/node above the working directory. Surefire
   * does not pass {@code maven.multiModuleProjectDirectory} to the forked test JVM unless the pom lists it
   * in systemPropertyVariables; the working directory (the module's basedir) finds the root then.
   */
  private static Path repoRoot() {
    String property = System.getProperty("maven.multiModuleProjectDirectory");
    if (property != null && !property.isBlank()) {
      Path candidate = Paths.get(property).toAbsolutePath().normalize();
      if (Files.isDirectory(candidate.resolve(NODE_DIR))) {
        return candidate;
      }
    }
    Path start = Paths.get("").toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(NODE_DIR))) {
        return dir;
      }
    }
    return fail("cannot find the repository root: no directory holding %s at or above %s"
        + " (maven.multiModuleProjectDirectory=%s)", NODE_DIR, start, property);
  }

  /**
   * Returns the executable {@code name} on the PATH. When it is missing, skips the test, or fails it if
   * REQUIRE_NODE=true.
   */
  private static Path requireTool(String name) {
    Optional<Path> found = findOnPath(name);
    if (found.isPresent()) {
      return found.get();
    }
    String message = "'" + name + "' is not on the PATH (" + System.getenv("PATH") + "); the Node.js"
        + " seed-client interop test needs Node.js and npm";
    if (nodeRequired()) {
      return fail(message + ", and " + REQUIRE_NODE + "=true");
    }
    Assumptions.abort(message + ". Skipped; set " + REQUIRE_NODE + "=true to make this a failure.");
    throw new AssertionError("unreachable");
  }

  private static boolean nodeRequired() {
    return "true".equalsIgnoreCase(System.getenv(REQUIRE_NODE))
        || "true".equalsIgnoreCase(System.getProperty(REQUIRE_NODE));
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

  private record Result(int exitCode, boolean timedOut, String output) {}

  /** Runs a command in {@code dir} with stderr merged into stdout, killing it after {@code timeout}. */
  private static Result run(Path dir, Duration timeout, String... command) throws Exception {
    Process process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .start();
    process.getOutputStream().close(); // no input
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> copy(process.getInputStream(), output), "interop-output-reader");
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
