package io.github.usergrpc.user.server;

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

/**
 * The server as its own JVM, started as an operator starts it ({@link UserServerMain} on this test's class
 * path), so that a test can kill it for real.
 */
public final class ServerProcess implements AutoCloseable {

  private static final Pattern START_LINE = Pattern.compile("user-server listening on port (\\d+) .*");

  private final Process process;
  private final int port;
  private final String startLine;
  private final List<String> output;

  private ServerProcess(Process process, int port, String startLine, List<String> output) {
    this.process = process;
    this.port = port;
    this.startLine = startLine;
    this.output = List.copyOf(output);
  }

  /** Launches {@code UserServerMain} with {@code args} and returns at once; stderr is kept apart. */
  public static Process launch(String... args) throws IOException {
    return new ProcessBuilder(command(args)).start();
  }

  /** Starts {@code UserServerMain} with {@code args} and waits for its start line. */
  public static ServerProcess start(String... args) throws IOException {
    Process process = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      Matcher matcher = START_LINE.matcher(line);
      if (matcher.matches()) {
        drain(out);
        return new ServerProcess(process, Integer.parseInt(matcher.group(1)), line, seen);
      }
      seen.add(line);
    }
    throw new IllegalStateException("the server exited before it started: " + String.join("\n", seen));
  }

  /** Returns the port the server listens on. */
  public int port() {
    return port;
  }

  /** Returns the process id of the server. */
  public long pid() {
    return process.pid();
  }

  /** Returns what the server printed before its start line. */
  public List<String> outputBeforeStart() {
    return output;
  }

  /** Returns the line the server printed when it started. */
  public String startLine() {
    return startLine;
  }

  /** Returns the exit code, after the process ended. */
  public int exitValue() {
    return process.exitValue();
  }

  /** Kills the process with SIGKILL: no shutdown hook, no flush, no goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * Stops the process with SIGTERM, which shuts the server down gracefully.
   *
   * @return true if it ended by itself within 30 seconds (else it was killed)
   */
  public boolean terminate() throws InterruptedException {
    process.destroy();
    if (process.waitFor(30, TimeUnit.SECONDS)) {
      return true;
    }
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    return false;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      terminate();
    }
  }

  private static List<String> command(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), UserServerMain.class.getName()));
    command.addAll(List.of(args));
    return command;
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
