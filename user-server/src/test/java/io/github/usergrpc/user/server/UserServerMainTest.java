package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as an operator runs it: a separate JVM, its command line, its start line and SIGTERM. */
class UserServerMainTest {

  private static final Pattern START_LINE = Pattern.compile("user-server listening on port (\\d+) with store (.*)");

  @Test
  void main_badOption_printsOneLineAndExitsTwo() throws Exception {
    Process process = java("--port", "not-a-port");

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip())
        .isEqualTo("user-server: --port: not-a-port (expected: a number 0..65535)");
  }

  @Test
  void main_help_printsUsageAndExitsZero() throws Exception {
    Process process = java("--help");

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .startsWith("Usage: java -jar user-server.jar").contains("--store");
  }

  @Test
  void main_hashToken_printsTheTokenFileHashOfStandardInput() throws Exception {
    Process process = java("--hash-token");
    try (var stdin = process.getOutputStream()) {
      stdin.write("s3cr3t-read\n".getBytes(StandardCharsets.UTF_8));
    }

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
        .isEqualTo("sha256:9bfa530f3fcce1c29f428dd5259fe224e52d6b5600f2375964898ae0d3ef1d19");
  }

  @Test
  void hashToken_takesOneTokenWithOrWithoutLineBreak() throws Exception {
    String expected = AccessTokens.hash("s3cr3t-read");

    assertThat(UserServerMain.hashToken(stdin("s3cr3t-read"))).isEqualTo(expected);
    assertThat(UserServerMain.hashToken(stdin("s3cr3t-read\r\n"))).isEqualTo(expected);
    for (String bad : List.of("", "\n", "two tokens", "s3cr3t\n\n", "caf\u00e9")) {
      assertThatThrownBy(() -> UserServerMain.hashToken(stdin(bad)))
          .hasMessage("expected one token on standard input: printable ASCII without spaces");
    }
  }

  private static InputStream stdin(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void main_h2FileStore_keepsUsersAcrossGracefulRestart(@TempDir Path dir) throws Exception {
    String store = "h2:" + dir.resolve("users");
    UserResponse created;
    Process first = java("--port", "0", "--store", store);
    ManagedChannel channel = channelTo(awaitPort(first, store));
    try {
      created = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .createUser(CreateUserRequest.newBuilder().setEmail("kept@example.com").setName("Kept").build());
    } finally {
      channel.shutdownNow();
      stopGracefully(first);
    }

    Process second = java("--port", "0", "--store", store);
    channel = channelTo(awaitPort(second, store));
    try {
      assertThat(UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getUser(GetUserRequest.newBuilder().setId(created.getId()).build())).isEqualTo(created);
    } finally {
      channel.shutdownNow();
      stopGracefully(second);
    }
  }

  private static void stopGracefully(Process process) throws InterruptedException {
    process.destroy(); // SIGTERM: runs the shutdown hook
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("exit code after SIGTERM").isIn(0, 143);
  }

  private static int awaitPort(Process process, String store) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      Matcher matcher = START_LINE.matcher(line);
      if (matcher.matches()) {
        assertThat(matcher.group(2)).isEqualTo(store);
        return Integer.parseInt(matcher.group(1));
      }
      seen.add(line);
    }
    throw new AssertionError("the server never printed its start line; output: " + seen);
  }

  private static ManagedChannel channelTo(int port) {
    assertThat(port).isPositive();
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
  }

  private static Process java(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        UserServerMain.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
  }
}
