package io.github.usergrpc.user.client.reliability;

import io.github.usergrpc.user.server.UserServerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The server as its own JVM, started as an operator starts it, so that a test can kill it for real. */
final class ServerProcess implements AutoCloseable {

  private static final Pattern START_LINE = Pattern.compile("user-server listening on port (\\d+) .*");

  private final Process process;
  private final int port;

  private ServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts {@code UserServerMain} with {@code args} and waits for its start line. */
  static ServerProcess start(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), UserServerMain.class.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      Matcher matcher = START_LINE.matcher(line);
      if (matcher.matches()) {
        drain(out);
        return new ServerProcess(process, Integer.parseInt(matcher.group(1)));
      }
      seen.add(line);
    }
    throw new IllegalStateException("the server exited before it started: " + String.join("\n", seen));
  }

  int port() {
    return port;
  }

  /** Kills the process with SIGKILL: no shutdown hook, no flush, no goodbye. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Stops the process with SIGTERM, which shuts the server down gracefully. */
  void terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      terminate();
    }
  }

  /** Keeps reading the server's output, so that a full pipe never blocks it. */
  private static void drain(BufferedReader out) {
    Thread thread = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // discard
        }
      } catch (IOException e) {
        // The process ended.
      }
    }, "server-output");
    thread.setDaemon(true);
    thread.start();
  }
}
