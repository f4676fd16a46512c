package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
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
 * {@code target/user-server.jar} (failsafe's {@code server.jar}) running in a process of its own, as the README
 * runs it, on a port it picked: for the {@code *IT} tests.
 */
final class ServerJar implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("user-server listening on port (\\d+) .*");

  private final Process process;
  private final BufferedReader output;
  private final String startLine;
  private final int port;

  private ServerJar(Process process, BufferedReader output, String startLine, int port) {
    this.process = process;
    this.output = output;
    this.startLine = startLine;
    this.port = port;
  }

  /** Returns the jar under test. */
  static Path path() {
    return Path.of(System.getProperty("server.jar", "target/user-server.jar"));
  }

  /**
   * Starts {@code java -jar user-server.jar --port 0} with {@code arguments} and waits for its start line.
   *
   * @throws AssertionError if the process ends without one
   */
  static ServerJar start(String... arguments) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-jar", path().toString(), "--port", "0"));
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8));
    Matcher start = LISTENING.matcher("");
    String line;
    while ((line = output.readLine()) != null && !start.reset(line).matches()) {
      // Log lines before the start line.
    }
    if (line == null) {
      process.destroyForcibly();
    }
    assertThat(line).as("the start line of " + command).isNotNull();
    return new ServerJar(process, output, line, Integer.parseInt(start.group(1)));
  }

  /** Returns the line the server printed once it listened. */
  String startLine() {
    return startLine;
  }

  /** Returns a plaintext channel to the server's gRPC port; the caller shuts it down. */
  ManagedChannel channel() {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
  }

  /**
   * Sends SIGTERM, waits for the process to end and returns what it printed after its start line. Through the
   * handle: {@code Process.destroy()} would also close our end of the output pipe.
   */
  List<String> stop() throws InterruptedException {
    process.toHandle().destroy();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s of SIGTERM").isTrue();
    return output.lines().toList();
  }

  /** Kills the process if it is still there. */
  @Override
  public void close() {
    process.destroyForcibly();
  }
}
