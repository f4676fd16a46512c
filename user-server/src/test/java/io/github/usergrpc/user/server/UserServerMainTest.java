package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The server as an operator runs it: a separate JVM, its command line, its start line and SIGTERM. */
class UserServerMainTest {

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void main_badOption_printsOneLineAndExitsTwo() throws Exception {
    Process process = ServerProcess.launch("--port", "not-a-port");

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip())
        .isEqualTo("user-server: --port: not-a-port (expected: a number 0..65535)");
  }

  @Test
  void main_help_printsUsageAndExitsZero() throws Exception {
    Process process = ServerProcess.launch("--help");

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .startsWith("Usage: java -jar user-server.jar").contains("--store");
  }

  @Test
  void main_hashToken_printsTheTokenFileHashOfStandardInput() throws Exception {
    Process process = ServerProcess.launch("--hash-token");
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

  @Test
  void h2FileUrl_implicitlyRelativePath_isMadeExplicit() {
    assertThat(UserServerMain.h2FileUrl("data/users")).isEqualTo("jdbc:h2:file:./data/users");
    assertThat(UserServerMain.h2FileUrl("../data/users")).isEqualTo("jdbc:h2:file:./../data/users");
    for (String kept : List.of("./data/users", "/var/lib/users", "~/users", "C:\\data\\users", ".\\users")) {
      assertThat(UserServerMain.h2FileUrl(kept)).isEqualTo("jdbc:h2:file:" + kept);
    }
  }

  private static InputStream stdin(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void sqliteFileUrl_resolvesTheFileAndPassesPragmasOn() {
    assertThat(UserServerMain.sqliteFileUrl("/var/lib/users.db")).isEqualTo("jdbc:sqlite:/var/lib/users.db");
    assertThat(UserServerMain.sqliteFileUrl("/var/lib/users.db?synchronous=FULL"))
        .isEqualTo("jdbc:sqlite:/var/lib/users.db?synchronous=FULL");
    assertThat(UserServerMain.sqliteFileUrl("~/users.db"))
        .isEqualTo("jdbc:sqlite:" + Path.of(System.getProperty("user.home"), "users.db"));
    assertThat(UserServerMain.sqliteFileUrl("users.db")).isEqualTo("jdbc:sqlite:" + Path.of("users.db").toAbsolutePath());
  }

  @Test
  void main_h2FileStore_keepsUsersAcrossGracefulRestart(@TempDir Path dir) throws Exception {
    keepsUsersAcrossGracefulRestart("h2:" + dir.resolve("users"));
  }

  @Test
  void main_sqliteFileStore_keepsUsersAcrossGracefulRestart(@TempDir Path dir) throws Exception {
    keepsUsersAcrossGracefulRestart("sqlite:" + dir.resolve("data").resolve("users.db"));
  }

  private void keepsUsersAcrossGracefulRestart(String store) throws Exception {
    ServerProcess first = cleanup.register(ServerProcess.start("--port", "0", "--store", store));
    assertThat(first.startLine()).endsWith(" with store " + store);
    UserResponse created = UserServiceGrpc.newBlockingStub(channelTo(first.port()))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .createUser(CreateUserRequest.newBuilder().setEmail("kept@example.com").setName("Kept").build());
    assertThat(first.terminate()).as("ended by itself after SIGTERM").isTrue();
    assertThat(first.exitValue()).isIn(0, 143);

    ServerProcess second = cleanup.register(ServerProcess.start("--port", "0", "--store", store));
    assertThat(UserServiceGrpc.newBlockingStub(channelTo(second.port())).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getUser(GetUserRequest.newBuilder().setId(created.getId()).build())).isEqualTo(created);
  }

  private ManagedChannel channelTo(int port) {
    return cleanup.register(
        Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build());
  }
}
