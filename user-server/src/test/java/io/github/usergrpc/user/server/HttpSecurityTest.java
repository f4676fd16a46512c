package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One security model on both ports, as an operator starts the server: with TLS the HTTP port speaks HTTPS
 * only with the same certificate, with a client CA it requires a client certificate, and bearer tokens and
 * scopes are checked on every HTTP route as on gRPC; without TLS and tokens, it listens on loopback only.
 */
class HttpSecurityTest {

  private static final String TOKEN_FILE_LINES = AccessTokens.hash("reader-token") + " reader users:read\n"
      + AccessTokens.hash("writer-token") + " writer users:read,users:write\n";

  @Test
  void mutualTlsAndTokens_coverEveryRouteOfTheHttpPort(@TempDir Path dir) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN_FILE_LINES);
    ServerProcess server = ServerProcess.start("--port", "0", "--store", "memory", "--http-port", "0",
        "--tls-cert", certs.file("server1.pem").toString(), "--tls-key", certs.file("server1.key").toString(),
        "--tls-client-ca", certs.file("ca.pem").toString(), "--auth-tokens", tokens.toString());
    ClientFactory withCertificate = ClientFactory.builder()
        .tlsNoVerifyHosts("127.0.0.1")
        .tlsCustomizer(tls -> tls.keyManager(certs.file("client.pem").toFile(), certs.file("client.key").toFile()))
        .build();
    ClientFactory withoutCertificate = ClientFactory.builder().tlsNoVerifyHosts("127.0.0.1").build();
    try {
      int port = announcedPort(server);
      WebClient https = WebClient.builder("https://127.0.0.1:" + port).factory(withCertificate)
          .responseTimeout(Duration.ofSeconds(10)).build();

      AggregatedHttpResponse anonymous = https.get("/v1/users").aggregate().join();
      AggregatedHttpResponse read = send(https, HttpMethod.GET, "/v1/users", "reader-token", null);
      AggregatedHttpResponse createWithReadToken = send(https, HttpMethod.POST, "/v1/users", "reader-token",
          "{\"email\":\"r@example.com\",\"name\":\"R\"}");
      AggregatedHttpResponse created = send(https, HttpMethod.POST, "/v1/users", "writer-token",
          "{\"email\":\"w@example.com\",\"name\":\"W\"}");
      AggregatedHttpResponse watchAnonymous = https.get("/v1/users/u1/activity:watch").aggregate().join();
      AggregatedHttpResponse watchUnknownUser = send(https, HttpMethod.GET, "/v1/users/nobody/activity:watch",
          "reader-token", null);
      AggregatedHttpResponse metrics = send(https, HttpMethod.GET, "/metrics", "writer-token", null);

      assertThat(anonymous.status().code()).isEqualTo(401);
      assertThat(anonymous.contentUtf8()).contains("MISSING_CREDENTIALS");
      assertThat(read.status().code()).isEqualTo(200);
      assertThat(createWithReadToken.status().code()).isEqualTo(403);
      assertThat(createWithReadToken.contentUtf8()).contains("MISSING_SCOPE");
      assertThat(created.status().code()).isEqualTo(200);
      assertThat(watchAnonymous.status().code()).isEqualTo(401);
      assertThat(watchUnknownUser.status().code()).isEqualTo(404);
      assertThat(metrics.status().code()).isEqualTo(404);

      WebClient noCertificate = WebClient.builder("https://127.0.0.1:" + port).factory(withoutCertificate)
          .responseTimeout(Duration.ofSeconds(10)).build();
      assertThatThrownBy(() -> send(noCertificate, HttpMethod.GET, "/v1/users", "reader-token", null))
          .as("a client without a certificate is refused in the handshake").isNotNull();
      WebClient plaintext = WebClient.builder("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(10))
          .build();
      Optional<Integer> plaintextStatus;
      try {
        plaintextStatus = Optional.of(send(plaintext, HttpMethod.GET, "/v1/users", "reader-token", null)
            .status().code());
      } catch (RuntimeException refused) {
        plaintextStatus = Optional.empty();
      }
      assertThat(plaintextStatus).as("plaintext HTTP is not served").isNotEqualTo(Optional.of(200));
    } finally {
      withCertificate.close();
      withoutCertificate.close();
      server.terminate();
    }
  }

  @Test
  void withoutTlsAndTokens_bothPortsListenOnLoopbackOnly_andTheServerSaysSo() throws Exception {
    ServerProcess server = ServerProcess.start("--port", "0", "--store", "memory", "--http-port", "0");
    try {
      int httpPort = announcedPort(server);

      assertThat(server.outputBeforeStart()).anyMatch(line -> line.contains("loopback interface only"));
      try (Socket local = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
        assertThat(local.isConnected()).isTrue();
      }
      Optional<InetAddress> external = externalAddress();
      if (external.isEmpty()) {
        System.out.println("HttpSecurityTest: no non-loopback IPv4 address here; binding checked on loopback only");
        return;
      }
      for (int port : new int[] {httpPort, server.port()}) {
        assertThatThrownBy(() -> {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(external.get(), port), 2000);
          }
        }).as("port " + port + " on " + external.get()).isInstanceOf(java.io.IOException.class);
      }
    } finally {
      server.terminate();
    }
  }

  private static AggregatedHttpResponse send(WebClient client, HttpMethod method, String path, String token,
      String json) {
    RequestHeaders headers = RequestHeaders.builder(method, path)
        .set("authorization", "Bearer " + token)
        .contentType(MediaType.JSON)
        .build();
    return client.execute(json == null ? HttpRequest.of(headers) : HttpRequest.of(headers,
        com.linecorp.armeria.common.HttpData.ofUtf8(json))).aggregate().join();
  }

  private static Optional<InetAddress> externalAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }

  private static int announcedPort(ServerProcess server) {
    Pattern line = Pattern.compile("user-server HTTP/JSON gateway on port (\\d+)");
    for (String printed : server.outputBeforeStart()) {
      Matcher matcher = line.matcher(printed);
      if (matcher.matches()) {
        return Integer.parseInt(matcher.group(1));
      }
    }
    throw new AssertionError("no HTTP port line in " + server.outputBeforeStart());
  }
}
