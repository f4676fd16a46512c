package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerOptionsTest {

  @Test
  void parse_noOptions_usesDefaults() {
    ServerOptions options = ServerOptions.parse(List.of(), Map.of());

    assertThat(options.port()).isEqualTo(50051);
    assertThat(options.store()).isEqualTo("h2:./data/users");
    assertThat(options.tlsCert()).isEmpty();
    assertThat(options.help()).isFalse();
  }

  @Test
  void parse_environment_isOverriddenByCommandLine() {
    Map<String, String> env = Map.of("USER_SERVER_PORT", "7000", "USER_SERVER_STORE", "memory",
        "USER_SERVER_DB_USER", "app");

    ServerOptions options = ServerOptions.parse(List.of("--port", "0", "--store=jdbc:postgresql://db/users"), env);

    assertThat(options.port()).isZero();
    assertThat(options.store()).isEqualTo("jdbc:postgresql://db/users");
    assertThat(options.dbUser()).contains("app");
  }

  @Test
  void parse_badValues_failWithOneLineMessages() {
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port", "http"), Map.of()))
        .hasMessage("--port: http (expected: a number 0..65535)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port", "70000"), Map.of()))
        .hasMessage("--port: 70000 (expected: 0..65535)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--store", "mysql://x"), Map.of()))
        .hasMessageStartingWith("--store: mysql://x (expected:");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--verbose"), Map.of()))
        .hasMessage("unknown option: --verbose (see --help)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port"), Map.of()))
        .hasMessage("option --port needs a value");
    assertThatThrownBy(() -> ServerOptions.parse(List.of(), Map.of("USER_SERVER_PORT", "-1")))
        .hasMessage("--port: -1 (expected: 0..65535)");
  }

  @Test
  void parse_tlsNeedsReadableCertAndKey(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    Path key = Files.writeString(dir.resolve("key.pem"), "x");

    assertThatThrownBy(() -> ServerOptions.parse(List.of("--tls-cert", cert.toString()), Map.of()))
        .hasMessage("--tls-cert and --tls-key go together");
    assertThatThrownBy(() -> ServerOptions.parse(
        List.of("--tls-cert", cert.toString(), "--tls-key", dir.resolve("missing.pem").toString()), Map.of()))
        .hasMessageStartingWith("cannot read ");
    assertThat(ServerOptions.parse(List.of("--tls-cert", cert.toString(), "--tls-key", key.toString()), Map.of())
        .tlsKey()).contains(key);
  }

  @Test
  void storeForLog_hidesPasswords() {
    ServerOptions options = ServerOptions.parse(
        List.of("--store", "jdbc:postgresql://db/users?user=app&password=s3cret&ssl=true"), Map.of());

    assertThat(options.storeForLog()).isEqualTo("jdbc:postgresql://db/users?user=app&password=***&ssl=true");
  }

  @Test
  void usage_listsEveryOptionWithItsVariable() {
    assertThat(ServerOptions.usage()).contains("--port", "USER_SERVER_PORT", "--store", "USER_SERVER_STORE",
        "--db-user", "--db-password", "--tls-cert", "--tls-key", "--help");
  }
}
