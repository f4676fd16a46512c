package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code user-server ping} against a real server on a real port, and against none. */
class PingCommandTest {

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @Test
  void runningServer_write_passesEveryStep_andLeavesNoUser() throws Exception {
    InMemoryUserStore store = new InMemoryUserStore();
    try (UserServer server = UserServer.newBuilder(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()))
        .setStore(store).build().start()) {
      int exit = PingCommand.parse(List.of("--target", "127.0.0.1:" + server.port(), "--write"), out).run();

      assertThat(exit).as(printed.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(printed.toString(StandardCharsets.UTF_8).lines().map(line -> line.split("\\s+")[1]))
          .containsExactly("health", "ListUsers", "CreateUser", "GetUser", "RecordActivity", "DeleteUser", "ping:");
      assertThat(store.count(java.util.Optional.empty())).isZero();
    }
  }

  @Test
  void noServer_failsTheHealthStep_withExitCode1() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }

    int exit = PingCommand.parse(List.of("--target", "127.0.0.1:" + port), out).run();

    assertThat(exit).isEqualTo(1);
    assertThat(printed.toString(StandardCharsets.UTF_8)).startsWith("FAIL health: UNAVAILABLE");
  }

  @Test
  void badUsage_isRefused() {
    assertThatThrownBy(() -> PingCommand.parse(List.of("--target"), out))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--target needs a value");
    assertThatThrownBy(() -> PingCommand.parse(List.of("--colour", "red"), out))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("unknown option --colour");
  }
}
