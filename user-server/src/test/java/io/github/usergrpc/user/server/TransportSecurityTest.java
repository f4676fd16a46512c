package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** TLS, mutual TLS and bearer tokens as the server's options set them up, over real TCP. */
class TransportSecurityTest {

  private static final String TOKEN = "tls-t0ken-5be21f0c9a";

  @TempDir
  Path dir;

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private final ExecutorService executor = cleanup.register(Executors.newFixedThreadPool(4));
  private TestCertificates certs;
  private UserServer server;

  @BeforeEach
  void certificates() {
    certs = new TestCertificates(dir);
  }

  @Test
  void tls_clientTrustingTheCa_calls() throws Exception {
    startTls();

    assertThat(listUsers(channel(trusting()), new Metadata())).isEqualTo(Status.Code.OK);
    assertThat(HealthGrpc.newBlockingStub(channel(trusting())).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void tls_plaintextClient_fails() throws Exception {
    startTls();

    assertThat(listUsers(channel(InsecureChannelCredentials.create()), new Metadata()))
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void tls_clientNotTrustingTheServerCertificate_fails() throws Exception {
    startTls();

    // The JDK's trusted roots did not sign the test CA.
    assertThat(listUsers(channel(TlsChannelCredentials.create()), new Metadata()))
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void mutualTls_clientWithoutCertificate_fails() throws Exception {
    startMutualTls();

    assertThat(listUsers(channel(trusting()), new Metadata())).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void mutualTls_clientCertificateSignedByTheClientCa_calls() throws Exception {
    startMutualTls();

    ChannelCredentials withCertificate = TlsChannelCredentials.newBuilder()
        .trustManager(certs.file("ca.pem").toFile())
        .keyManager(certs.file("client.pem").toFile(), certs.file("client.key").toFile())
        .build();

    assertThat(listUsers(channel(withCertificate), new Metadata())).isEqualTo(Status.Code.OK);
  }

  @Test
  void mutualTls_selfSignedClientCertificate_fails() throws Exception {
    startMutualTls();

    ChannelCredentials selfSigned = TlsChannelCredentials.newBuilder()
        .trustManager(certs.file("ca.pem").toFile())
        .keyManager(certs.file("badclient.pem").toFile(), certs.file("badclient.key").toFile())
        .build();

    assertThat(listUsers(channel(selfSigned), new Metadata())).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void authTokens_bearerTokenOverTls_reachesTheServer() throws Exception {
    Path tokens = Files.writeString(dir.resolve("tokens"), AccessTokens.hash(TOKEN) + " tls-client users:read\n");
    startTls("--auth-tokens", tokens.toString());
    Metadata bearer = new Metadata();
    bearer.put(AuthInterceptor.AUTHORIZATION, "Bearer " + TOKEN);
    ManagedChannel channel = channel(trusting());

    assertThat(listUsers(channel, new Metadata())).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(listUsers(channel, bearer)).isEqualTo(Status.Code.OK);
  }

  private void startTls(String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("--tls-cert", certs.file("server1.pem").toString(),
        "--tls-key", certs.file("server1.key").toString()));
    args.addAll(List.of(more));
    start(args);
  }

  private void startMutualTls() throws IOException {
    startTls("--tls-client-ca", certs.file("ca.pem").toString());
  }

  private void start(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(List.of("--port", "0", "--store", "memory"));
    all.addAll(args);
    server = cleanup.register(
        UserServerMain.newServer(ServerOptions.parse(all, Map.of()), new InMemoryUserStore(), executor).start());
  }

  private ChannelCredentials trusting() throws IOException {
    return TlsChannelCredentials.newBuilder().trustManager(certs.file("ca.pem").toFile()).build();
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    return cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), credentials)
        .overrideAuthority(TestCertificates.AUTHORITY)
        .build());
  }

  private static Status.Code listUsers(ManagedChannel channel, Metadata headers) {
    try {
      UserServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .listUsers(ListUsersRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
