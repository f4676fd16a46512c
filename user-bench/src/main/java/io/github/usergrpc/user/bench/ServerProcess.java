package io.github.usergrpc.user.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A server (or any tool) run as a child process, optionally pinned to CPUs with {@code taskset}. */
final class ServerProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private ServerProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command}, pinned to {@code cpus} (a taskset CPU list such as "0"; empty for no pinning),
   * and waits until {@code port} accepts connections.
   */
  static ServerProcess start(String name, String cpus, List<String> command, int port, Path logDir)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (!cpus.isEmpty()) {
      full.addAll(List.of("taskset", "-c", cpus));
    }
    full.addAll(command);
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    Process process = new ProcessBuilder(full).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    ServerProcess server = new ServerProcess(name, process, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        // user-server binds its ports early to hold them and rebinds them once the store is open: the port
        // accepts connections before the server serves, so wait for its start line too. Every jar the benches
        // start with -jar is a user-server build, whatever the file is called (a --baseline-jar copy).
        if (!command.contains("-jar") || Files.readString(log).contains("listening on port")) {
          return server;
        }
        Thread.sleep(100);
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          server.close();
          throw new IOException(name + " did not listen on " + port + " within 60 s: " + Files.readString(log));
        }
        Thread.sleep(100);
      }
    }
  }

  long pid() {
    return process.pid();
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  /** Returns a tool of the JDK this JVM runs on ({@code java}, {@code jcmd}), for the processes it starts. */
  static String jdkTool(String name) {
    return Path.of(System.getProperty("java.home"), "bin", name).toString();
  }

  /** Returns a free TCP port on 127.0.0.1. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Runs a command to its end and returns its output (stdout and stderr). */
  static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
    return run(command, timeoutSeconds, java.util.Map.of());
  }

  /** Runs a command with extra environment variables to its end and returns its output. */
  static String run(List<String> command, long timeoutSeconds, java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    return new String(output, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Stops the process with SIGTERM, then SIGKILL after 15 seconds. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
