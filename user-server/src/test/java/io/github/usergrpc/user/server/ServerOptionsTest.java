package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerOptionsTest {

  @Test
  void parse_noOptions_usesDefaults() {
    ServerOptions options = ServerOptions.parse(List.of(), Map.of());

    assertThat(options.port()).isEqualTo(50051);
    assertThat(options.store()).isEqualTo(ServerOptions.defaultStore(Path.of("")));
    assertThat(options.tlsCert()).isEmpty();
    assertThat(options.help()).isFalse();
  }

  @Test
  void defaultStore_newDirectory_isSqlite(@TempDir Path dir) {
    assertThat(ServerOptions.defaultStore(dir)).isEqualTo("sqlite:./data/users.db");
  }

  @Test
  void defaultStore_onlyTheEarlierDefaultH2DatabaseExists_isThatDatabase(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/users.mv.db"), "");

    assertThat(ServerOptions.defaultStore(dir)).isEqualTo("h2:./data/users");

    Files.writeString(dir.resolve("data/users.db"), "");
    assertThat(ServerOptions.defaultStore(dir)).isEqualTo("sqlite:./data/users.db");
  }

  @Test
  void parse_sqliteStore_isAccepted() {
    assertThat(ServerOptions.parse(List.of("--store", "sqlite:/var/lib/users.db"), Map.of()).store())
        .isEqualTo("sqlite:/var/lib/users.db");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--store", "sqlite:"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--store: sqlite: (expected: memory, sqlite:<file>, h2:<path> or jdbc:postgresql://host:port/db)");
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
  void otlpEndpoint_offByDefault_setByOptionOrEnvironment_andCheckedAsAnHttpUrl() {
    assertThat(ServerOptions.parse(List.of(), Map.of()).otlpEndpoint()).isEmpty();
    assertThat(ServerOptions.parse(List.of("--otlp-endpoint", "http://collector:4318"), Map.of()).otlpEndpoint())
        .contains(URI.create("http://collector:4318"));
    assertThat(ServerOptions.parse(List.of(), Map.of("USER_SERVER_OTLP_ENDPOINT", "https://otel.example.com"))
        .otlpEndpoint()).contains(URI.create("https://otel.example.com"));
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--otlp-endpoint", "collector:4318"), Map.of()))
        .hasMessage("--otlp-endpoint: collector:4318 (expected: an http or https URL such as http://localhost:4318)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--otlp-endpoint", "grpc://collector:4317"), Map.of()))
        .hasMessageStartingWith("--otlp-endpoint: grpc://collector:4317 (expected:");
  }

  @Test
  void parse_badValues_failWithOneLineMessages() {
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port", "http"), Map.of()))
        .hasMessage("--port: http (expected: a number 0..65535)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port", "70000"), Map.of()))
        .hasMessage("--port: 70000 (expected: 0..65535)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--store", "mysql://x"), Map.of()))
        .hasMessageStartingWith("--store: mysql://x (expected:");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--quiet"), Map.of()))
        .hasMessage("unknown option: --quiet (see --help)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--port"), Map.of()))
        .hasMessage("option --port needs a value");
    assertThatThrownBy(() -> ServerOptions.parse(List.of(), Map.of("USER_SERVER_PORT", "-1")))
        .hasMessage("--port: -1 (expected: 0..65535)");
  }

  @Test
  void bindAddress_loopbackForLocalUse_allInterfacesWithTokens_orWhatHostSays(@TempDir Path dir) throws Exception {
    Path tokens = Files.writeString(dir.resolve("tokens"), AccessTokens.hash("t") + " p users:read\n");

    ServerOptions local = ServerOptions.parse(List.of(), Map.of());
    ServerOptions withTokens = ServerOptions.parse(List.of("--auth-tokens", tokens.toString()), Map.of());
    ServerOptions withHost = ServerOptions.parse(List.of("--host", "0.0.0.0"), Map.of());
    ServerOptions ipv6 = ServerOptions.parse(List.of("--host=[::1]"), Map.of());

    assertThat(local.localOnly()).isTrue();
    assertThat(local.bindAddress(80).getAddress().isLoopbackAddress()).isTrue();
    assertThat(local.metricsHost()).isEqualTo("127.0.0.1");
    assertThat(withTokens.localOnly()).isFalse();
    assertThat(withTokens.bindAddress(80).getAddress().isAnyLocalAddress()).isTrue();
    assertThat(withHost.localOnly()).isFalse();
    assertThat(withHost.bindAddress(80).getAddress().isAnyLocalAddress()).isTrue();
    assertThat(ipv6.bindAddress(80).getAddress().isLoopbackAddress()).isTrue();
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--host", "a b"), Map.of()))
        .hasMessage("--host: a b (expected: an IP address or a host name)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--http-max-watches", "0"), Map.of()))
        .hasMessage("--http-max-watches: 0 (expected: >= 1)");
  }

  @Test
  void metrics_recordedOnlyWhereAPortServesThem(@TempDir Path dir) throws Exception {
    String tokens = Files.writeString(dir.resolve("tokens"), AccessTokens.hash("t") + " p users:read\n").toString();

    ServerOptions grpcOnly = ServerOptions.parse(List.of(), Map.of());
    ServerOptions http = ServerOptions.parse(List.of("--http-port", "0"), Map.of());
    ServerOptions httpWithTokens = ServerOptions.parse(List.of("--http-port", "0", "--auth-tokens", tokens), Map.of());
    ServerOptions metricsPort = ServerOptions.parse(List.of("--metrics-port", "0", "--auth-tokens", tokens), Map.of());

    assertThat(grpcOnly.servesMetrics()).isFalse();
    assertThat(http.metricsOnHttpPort()).isTrue();
    assertThat(http.servesMetrics()).isTrue();
    assertThat(httpWithTokens.metricsOnHttpPort()).isFalse();
    assertThat(httpWithTokens.servesMetrics()).isFalse();
    assertThat(metricsPort.servesMetrics()).isTrue();
  }

  @Test
  void parse_tlsNeedsReadableCertAndKey(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    Path key = Files.writeString(dir.resolve("key.pem"), "x");

    assertThatThrownBy(() -> ServerOptions.parse(List.of("--tls-cert", cert.toString()), Map.of()))
        .hasMessage("--tls-cert and --tls-key go together");
    assertThatThrownBy(() -> ServerOptions.parse(
        List.of("--tls-cert", cert.toString(), "--tls-key", dir.resolve("missing.pem").toString()), Map.of()))
        .hasMessage("--tls-key: cannot read " + dir.resolve("missing.pem"));
    assertThat(ServerOptions.parse(List.of("--tls-cert", cert.toString(), "--tls-key", key.toString()), Map.of())
        .tlsKey()).contains(key);
  }

  @Test
  void parse_clientCaAndTokens_needReadableFiles(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    Path key = Files.writeString(dir.resolve("key.pem"), "x");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    Path tokens = Files.writeString(dir.resolve("tokens"), "x");

    ServerOptions options = ServerOptions.parse(List.of("--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-client-ca", ca.toString()), Map.of("USER_SERVER_AUTH_TOKENS", tokens.toString()));

    assertThat(options.tlsClientCa()).contains(ca);
    assertThat(options.authTokens()).contains(tokens);
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--tls-client-ca", ca.toString()), Map.of()))
        .hasMessage("--tls-client-ca needs --tls-cert and --tls-key");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--auth-tokens", dir.resolve("none").toString()), Map.of()))
        .hasMessage("--auth-tokens: cannot read " + dir.resolve("none"));
    assertThat(ServerOptions.parse(List.of(), Map.of()).authTokens()).isEmpty();
  }

  @Test
  void parse_noLimitOptions_usesTheDocumentedDefaults() {
    ServerOptions.Limits limits = ServerOptions.parse(List.of(), Map.of()).limits();

    assertThat(limits).isEqualTo(new ServerOptions.Limits(1024 * 1024, 1000, 10_000, 100, Duration.ofSeconds(30),
        Duration.ofSeconds(10)));
  }

  @Test
  void parse_limitOptions_fromCommandLineAndEnvironment() {
    Map<String, String> env = Map.of("USER_SERVER_MAX_MESSAGE_SIZE", "65536", "USER_SERVER_MAX_WATCHES", "7",
        "USER_SERVER_DEFAULT_DEADLINE", "2m");

    ServerOptions.Limits limits = ServerOptions.parse(List.of("--max-calls-per-connection", "8",
        "--max-watches-per-user=3", "--max-watches", "9", "--permit-keepalive-time", "1500ms"), env).limits();

    assertThat(limits).isEqualTo(new ServerOptions.Limits(65536, 8, 9, 3, Duration.ofMinutes(2),
        Duration.ofMillis(1500)));
  }

  @Test
  void parse_durations_acceptUnitsAndZero() {
    assertThat(deadline("0")).isZero();
    assertThat(deadline("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(deadline("45s")).isEqualTo(Duration.ofSeconds(45));
    assertThat(deadline("5M")).isEqualTo(Duration.ofMinutes(5));
    assertThat(deadline("24h")).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void parse_badLimits_failWithOneLineMessages() {
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--max-message-size", "1000"), Map.of()))
        .hasMessage("--max-message-size: 1000 (expected: >= 32768)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--max-message-size", "1MiB"), Map.of()))
        .hasMessage("--max-message-size: 1MiB (expected: a number >= 32768)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--max-calls-per-connection", "0"), Map.of()))
        .hasMessage("--max-calls-per-connection: 0 (expected: >= 1)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of(), Map.of("USER_SERVER_MAX_WATCHES_PER_USER", "-2")))
        .hasMessage("--max-watches-per-user: -2 (expected: >= 1)");
    assertThatThrownBy(() -> deadline("30"))
        .hasMessage("--default-deadline: 30 (expected: 0 or a number with a unit ms, s, m or h, such as 30s)");
    assertThatThrownBy(() -> deadline("-1s")).hasMessageStartingWith("--default-deadline: -1s (expected: 0 or");
    assertThatThrownBy(() -> deadline("2d")).hasMessageStartingWith("--default-deadline: 2d (expected: 0 or");
    assertThatThrownBy(() -> deadline("25h")).hasMessage("--default-deadline: 25h (expected: at most 24h)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--permit-keepalive-time", "often"), Map.of()))
        .hasMessageStartingWith("--permit-keepalive-time: often (expected: 0 or");
  }

  @Test
  void parse_activityRetention_fromCommandLineOrEnvironment_defaultSevenDays() {
    assertThat(ServerOptions.parse(List.of(), Map.of()).activityRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(ServerOptions.parse(List.of("--activity-retention", "30d"), Map.of()).activityRetention())
        .isEqualTo(Duration.ofDays(30));
    assertThat(ServerOptions.parse(List.of(), Map.of("USER_SERVER_ACTIVITY_RETENTION", "12h")).activityRetention())
        .isEqualTo(Duration.ofHours(12));
    assertThat(ServerOptions.parse(List.of("--activity-retention=90s"), Map.of()).activityRetention())
        .isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity-retention", "0d"), Map.of()))
        .hasMessage("--activity-retention: 0d (expected: a positive number with a unit s, m, h or d, such as 7d)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity-retention", "1w"), Map.of()))
        .hasMessageStartingWith("--activity-retention: 1w (expected:");
    assertThat(ServerOptions.usage()).contains("--activity-retention", "USER_SERVER_ACTIVITY_RETENTION",
        "(default 7d)");
  }

  @Test
  void parse_activity_databaseByDefault_orJetStreamWithStreamAndReplicas() {
    assertThat(ServerOptions.parse(List.of(), Map.of()).jetStream()).isEmpty();
    assertThat(ServerOptions.parse(List.of("--activity", "database"), Map.of()).jetStream()).isEmpty();

    ServerOptions.JetStream single = ServerOptions.parse(List.of("--activity", "nats://127.0.0.1:4222"), Map.of())
        .jetStream().orElseThrow();
    assertThat(single).isEqualTo(new ServerOptions.JetStream(List.of("nats://127.0.0.1:4222"), "ACTIVITY", 1));
    assertThat(single.subjectPrefix()).isEqualTo("activity");

    ServerOptions.JetStream cluster = ServerOptions.parse(List.of("--activity-stream", "Users_1",
        "--activity-replicas", "3"), Map.of("USER_SERVER_ACTIVITY", "nats://n1:4222, nats://n2:4222,tls://n3:4222"))
        .jetStream().orElseThrow();
    assertThat(cluster).isEqualTo(new ServerOptions.JetStream(
        List.of("nats://n1:4222", "nats://n2:4222", "tls://n3:4222"), "Users_1", 3));
    assertThat(cluster.subjectPrefix()).isEqualTo("users_1");
    assertThat(ServerOptions.usage()).contains("--activity", "USER_SERVER_ACTIVITY", "--activity-stream",
        "USER_SERVER_ACTIVITY_STREAM", "--activity-replicas", "USER_SERVER_ACTIVITY_REPLICAS", "(default database)");
  }

  @Test
  void parse_dbNotify_onByDefault_offByOptionOrEnvironment() {
    assertThat(ServerOptions.parse(List.of(), Map.of()).dbNotify()).isTrue();
    assertThat(ServerOptions.parse(List.of("--db-notify=false"), Map.of()).dbNotify()).isFalse();
    assertThat(ServerOptions.parse(List.of(), Map.of("USER_SERVER_DB_NOTIFY", "false")).dbNotify()).isFalse();
    assertThat(ServerOptions.parse(List.of("--db-notify", "true"), Map.of("USER_SERVER_DB_NOTIFY", "false"))
        .dbNotify()).isTrue();
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--db-notify", "off"), Map.of()))
        .hasMessage("--db-notify: off (expected: true or false)");
    assertThat(ServerOptions.usage()).contains("--db-notify", "USER_SERVER_DB_NOTIFY", "(default true)");
  }

  @Test
  void parse_watchPollInterval_1sWithNotify_100msWithout_setByOptionOrEnvironment_neverZero() {
    assertThat(ServerOptions.parse(List.of(), Map.of()).watchPollInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(ServerOptions.parse(List.of("--db-notify", "false"), Map.of()).watchPollInterval())
        .isEqualTo(Duration.ofMillis(100));
    assertThat(ServerOptions.parse(List.of("--db-notify", "false", "--watch-poll-interval", "3s"), Map.of())
        .watchPollInterval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(ServerOptions.parse(List.of("--watch-poll-interval", "2s"), Map.of()).watchPollInterval())
        .isEqualTo(Duration.ofSeconds(2));
    assertThat(ServerOptions.parse(List.of(), Map.of("USER_SERVER_WATCH_POLL_INTERVAL", "250ms"))
        .watchPollInterval()).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--watch-poll-interval", "0"), Map.of()))
        .hasMessage("--watch-poll-interval: 0 (expected: a number with a unit ms, s, m or h, such as 100ms)");
    assertThat(ServerOptions.usage()).contains("--watch-poll-interval", "USER_SERVER_WATCH_POLL_INTERVAL",
        "(default 1s with --db-notify true, 100ms with false)");
  }

  @Test
  void parse_badActivity_failsWithOneLineMessages() {
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "kafka://k:9092"), Map.of()))
        .hasMessage("--activity: kafka://k:9092 (expected: database, or nats://host:port with more servers after"
            + " commas)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "nats://127.0.0.1"), Map.of()))
        .hasMessageStartingWith("--activity: nats://127.0.0.1 (expected:");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "nats://u:p@n1:4222"), Map.of()))
        .hasMessageStartingWith("--activity: nats://u:p@n1:4222 (expected:");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "nats://n1:4222,"), Map.of()))
        .hasMessageStartingWith("--activity: nats://n1:4222, (expected:");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "nats://n1:4222", "--activity-stream",
        "a.b"), Map.of())).hasMessage("--activity-stream: a.b (expected: 1 to 64 letters, digits, - and _)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity", "nats://n1:4222", "--activity-replicas",
        "7"), Map.of())).hasMessage("--activity-replicas: 7 (expected: 1..5)");
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--activity-stream", "S"), Map.of()))
        .hasMessage("--activity-stream needs --activity nats://host:port");
  }

  @Test
  void parse_jetStreamWithTheMemoryStore_isRefusedWithOneLine() {
    assertThatThrownBy(() -> ServerOptions.parse(List.of("--store", "memory", "--activity", "nats://n1:4222"),
        Map.of()))
        .hasMessage("--activity nats://n1:4222 needs a database store, for the outbox that takes the events of"
            + " changes to the stream: --store sqlite:<file>, h2:<path> or jdbc:postgresql://host:port/db, not memory");
  }

  @Test
  void parse_hashTokenAndVerbose_areFlags() {
    assertThat(ServerOptions.parse(List.of("--hash-token"), Map.of()).hashToken()).isTrue();
    assertThat(ServerOptions.parse(List.of(), Map.of()).hashToken()).isFalse();
    assertThat(ServerOptions.parse(List.of("--verbose"), Map.of()).verbose()).isTrue();
    assertThat(ServerOptions.parse(List.of(), Map.of()).verbose()).isFalse();
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
        "--db-user", "--db-password", "--tls-cert", "--tls-key", "--tls-client-ca", "USER_SERVER_TLS_CLIENT_CA",
        "--auth-tokens", "USER_SERVER_AUTH_TOKENS", "--max-message-size", "USER_SERVER_MAX_MESSAGE_SIZE",
        "--max-calls-per-connection", "USER_SERVER_MAX_CALLS_PER_CONNECTION", "--max-watches",
        "USER_SERVER_MAX_WATCHES", "--max-watches-per-user", "USER_SERVER_MAX_WATCHES_PER_USER",
        "--default-deadline", "USER_SERVER_DEFAULT_DEADLINE", "--permit-keepalive-time",
        "USER_SERVER_PERMIT_KEEPALIVE_TIME", "--hash-token", "--help");
    assertThat(ServerOptions.usage()).contains("(default 1048576)", "(default 30s)", "(default 10s)");
  }

  private static Duration deadline(String value) {
    return ServerOptions.parse(List.of("--default-deadline", value), Map.of()).limits().defaultDeadline();
  }
}
