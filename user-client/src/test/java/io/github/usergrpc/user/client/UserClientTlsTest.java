package io.github.usergrpc.user.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.AccessTokens;
import io.github.usergrpc.user.server.Futures;
import io.github.usergrpc.user.server.Principal;
import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.ListUsersRequest;
import io.github.usergrpc.user.v1.UserResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.testing.TlsTesting;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's TLS, mutual TLS, authority override and bearer token against a TLS server, with
 * grpc-testing's throwaway certificates (the server's is valid for {@code *.test.google.fr}).
 */
class UserClientTlsTest {

  private static final String AUTHORITY = "users.test.google.fr";
  private static final String TOKEN = "cl1ent-t0ken-3f9a7e21";

  @TempDir
  Path dir;

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  private final List<Optional<Principal>> principals = new CopyOnWriteArrayList<>();
  private UserServer server;

  @BeforeEach
  void certificates() throws IOException {
    for (String name : List.of("ca.pem", "server1.pem", "server1.key", "client.pem", "client.key")) {
      try (InputStream in = TlsTesting.loadCert(name)) {
        Files.copy(in, dir.resolve(name));
      }
    }
  }

  @Test
  void tls_trustedCaAndAuthorityOverride_calls() throws Exception {
    start(tls(false), false);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem"))
        .setAuthorityOverride(AUTHORITY))) {
      UserResponse created = client.createUser("tls@example.com", "T", "").join();

      assertThat(client.getUser(created.getId()).join()).isEqualTo(created);
    }
  }

  @Test
  void tls_withoutAuthorityOverride_failsOnTheCertificateName() throws Exception {
    start(tls(false), false);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem")).setWaitForReady(false))) {
      assertThat(Futures.failureOf(client.listUsers(ListUsersRequest.getDefaultInstance())))
          .isInstanceOf(UnavailableException.class);
    }
  }

  @Test
  void plaintextClient_againstTlsServer_fails() throws Exception {
    start(tls(false), false);

    try (UserClient client = client(b -> b.usePlaintext().setWaitForReady(false))) {
      assertThat(Futures.failureOf(client.getUser("anyone"))).isInstanceOf(UnavailableException.class);
    }
  }

  @Test
  void mutualTls_withoutClientCertificate_fails() throws Exception {
    start(tls(true), false);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem"))
        .setAuthorityOverride(AUTHORITY).setWaitForReady(false))) {
      assertThat(Futures.failureOf(client.getUser("anyone"))).isInstanceOf(UnavailableException.class);
    }
  }

  @Test
  void mutualTls_withClientCertificate_calls() throws Exception {
    start(tls(true), false);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem"))
        .setClientCertificate(dir.resolve("client.pem"), dir.resolve("client.key"))
        .setAuthorityOverride(AUTHORITY))) {
      assertThat(Futures.failureOf(client.getUser("anyone"))).isInstanceOf(UserNotFoundException.class);
    }
  }

  @Test
  void bearerTokenOverTls_reachesTheServerAsItsPrincipal() throws Exception {
    start(tls(false), true);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem"))
        .setAuthorityOverride(AUTHORITY).setBearerToken(() -> TOKEN))) {
      client.createUser("token@example.com", "T", "").join();
    }

    assertThat(principals).containsExactly(Optional.of(new Principal("client-app",
        Set.of(AccessTokens.READ_SCOPE, AccessTokens.WRITE_SCOPE))));
  }

  @Test
  void wrongBearerTokenOverTls_isUnauthenticated() throws Exception {
    start(tls(false), true);

    try (UserClient client = client(b -> b.setTrustedCertificates(dir.resolve("ca.pem"))
        .setAuthorityOverride(AUTHORITY).setBearerToken(() -> TOKEN + "-revoked"))) {
      Throwable failure = Futures.failureOf(client.getUser("anyone"));

      assertThat(failure).isInstanceOf(UserServiceException.class);
      assertThat(((UserServiceException) failure).code()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(((UserServiceException) failure).reason()).contains("INVALID_TOKEN");
    }
    assertThat(principals).isEmpty();
  }

  @Test
  void bearerTokenOverPlaintext_isNeverSent() throws Exception {
    start(InsecureServerCredentials.create(), false);

    try (UserClient client = client(b -> b.usePlaintext().setBearerToken(() -> TOKEN))) {
      Throwable failure = Futures.failureOf(client.getUser("anyone"));

      assertThat(((UserServiceException) failure).code()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
    assertThat(principals).as("calls that reached the server").isEmpty();
  }

  @Test
  void authorityOverride_withoutTarget_isRefused() {
    ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName("x").build());

    assertThatThrownBy(() -> UserClient.newBuilder().setChannel(channel).setAuthorityOverride(AUTHORITY).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("usePlaintext(), TLS files and setAuthorityOverride() apply to setTarget() only");
  }

  private ServerCredentials tls(boolean requireClientCertificate) throws IOException {
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
        .keyManager(dir.resolve("server1.pem").toFile(), dir.resolve("server1.key").toFile());
    if (requireClientCertificate) {
      tls.trustManager(dir.resolve("ca.pem").toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return tls.build();
  }

  private void start(ServerCredentials credentials, boolean requireTokens) throws IOException {
    UserServer.Builder builder = UserServer.newBuilder(Grpc.newServerBuilderForPort(0, credentials))
        .setStore(new InMemoryUserStore())
        .addInterceptor(new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
              Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            principals.add(Principal.current());
            return next.startCall(call, headers);
          }
        });
    if (requireTokens) {
      builder.setAccessTokens(AccessTokens.parse(AccessTokens.hash(TOKEN) + " client-app users:read,users:write"));
    }
    server = cleanup.register(builder.build().start());
  }

  /**
   * Returns a client of the server. Tests of connections that must fail turn wait-for-ready off: with it, a
   * failed handshake is retried until the deadline and ends as DEADLINE_EXCEEDED instead of UNAVAILABLE.
   */
  private UserClient client(UnaryOperator<UserClient.Builder> configure) {
    return configure.apply(UserClient.newBuilder().setTarget("127.0.0.1:" + server.port())
        .setTimeout(Duration.ofSeconds(10))).build();
  }
}
