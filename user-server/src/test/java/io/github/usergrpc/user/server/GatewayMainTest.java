package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.testsupport.LoopbackHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server with --http-port and --metrics-port, as an operator runs it: HTTP requests go through the same
 * service, with the same authentication, and show up in the metrics under their gRPC method.
 */
class GatewayMainTest {

  private final HttpClient http = LoopbackHttp.newClient();

  @Test
  void httpGatewayAndMetrics_shareTheServiceItsAuthenticationAndItsMetrics(@TempDir Path dir) throws Exception {
    Path tokens = Files.writeString(dir.resolve("tokens"),
        AccessTokens.hash("s3cret-token") + " alice users:read,users:write\n");
    ServerProcess server = ServerProcess.start("--port", "0", "--store", "memory", "--http-port", "0",
        "--metrics-port", "0", "--auth-tokens", tokens.toString());
    try {
      int httpPort = announcedPort(server, "HTTP/JSON gateway");
      int metricsPort = announcedPort(server, "metrics");

      HttpResponse<String> anonymous = post(httpPort, "/v1/users", "{\"email\":\"a@example.com\",\"name\":\"A\"}", null);
      HttpResponse<String> created = post(httpPort, "/v1/users", "{\"email\":\"a@example.com\",\"name\":\"A\"}",
          "Bearer s3cret-token");
      HttpResponse<String> invalid = post(httpPort, "/v1/users", "{\"email\":\"nope\",\"name\":\"A\"}",
          "Bearer s3cret-token");
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
          .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
      HttpResponse<String> metricsOnHttpPort = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + httpPort + "/metrics")).GET().build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.body()).contains("MISSING_CREDENTIALS");
      assertThat(created.statusCode()).isEqualTo(200);
      assertThat(invalid.statusCode()).isEqualTo(400);
      assertThat(metrics).containsPattern("grpc_server_call_duration_seconds_count\\{[^}]*"
          + "grpc_method=\"user.UserService/CreateUser\"[^}]*grpc_status=\"OK\"[^}]*} 1");
      assertThat(metrics).containsPattern("grpc_status=\"UNAUTHENTICATED\"");
      // With tokens required, /metrics is only on --metrics-port (issue 15: it answered anyone here).
      assertThat(metricsOnHttpPort.statusCode()).isEqualTo(404);
      assertThat(metricsOnHttpPort.body()).contains("\"code\":5");
    } finally {
      server.terminate();
    }
  }

  @Test
  void withoutTokens_theHttpPortServesTheMetricsOfItsCalls() throws Exception {
    ServerProcess server = ServerProcess.start("--port", "0", "--store", "memory", "--http-port", "0");
    try {
      int httpPort = announcedPort(server, "HTTP/JSON gateway");

      HttpResponse<String> created = post(httpPort, "/v1/users", "{\"email\":\"b@example.com\",\"name\":\"B\"}", null);
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
          .GET().build(), HttpResponse.BodyHandlers.ofString()).body();

      assertThat(created.statusCode()).isEqualTo(200);
      assertThat(metrics).containsPattern("grpc_server_call_duration_seconds_count\\{[^}]*"
          + "grpc_method=\"user.UserService/CreateUser\"[^}]*grpc_status=\"OK\"[^}]*} 1");
      assertThat(metrics).contains("user_store_operation_duration_seconds_count");
    } finally {
      server.terminate();
    }
  }

  private HttpResponse<String> post(int port, String path, String json, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int announcedPort(ServerProcess server, String what) {
    Pattern line = Pattern.compile("user-server " + Pattern.quote(what) + " on port (\\d+)");
    for (String printed : server.outputBeforeStart()) {
      Matcher matcher = line.matcher(printed);
      if (matcher.matches()) {
        return Integer.parseInt(matcher.group(1));
      }
    }
    throw new AssertionError("no '" + what + "' line in " + server.outputBeforeStart());
  }
}
