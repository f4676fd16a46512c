package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.github.usergrpc.user.api.ErrorReasons;
import io.github.usergrpc.user.server.TestCalls.Closed;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AuthInterceptorTest {

  private static final String READER = "r3ader-8f1c2d9e7a";
  private static final String WRITER = "wr1ter-0b5e7c3a9d";
  private static final AccessTokens TOKENS = AccessTokens.parse(String.join("\n",
      AccessTokens.hash(READER) + " dashboard users:read",
      AccessTokens.hash(WRITER) + " importer users:write"));
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final List<MethodDescriptor<?, ?>> READS = List.of(UserServiceGrpc.getGetUserMethod(),
      UserServiceGrpc.getListUsersMethod(), UserServiceGrpc.getWatchUserActivityMethod());

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  private InProcessServer start(UnaryOperator<UserServer.Builder> configure) throws Exception {
    return cleanup.register(new InProcessServer(new InMemoryUserStore(), configure));
  }

  @Test
  void everyMethod_withoutToken_isUnauthenticatedMissingCredentials() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    TestCalls.validRequests("missing").forEach((method, request) -> {
      Closed closed = TestCalls.call(server.channel(), method, request, new Metadata(), TIMEOUT);

      assertThat(closed.code()).as(method.getFullMethodName()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(closed.reason()).isEqualTo("MISSING_CREDENTIALS");
      assertThat(closed.errorInfo().getDomain()).isEqualTo(ErrorReasons.DOMAIN);
    });
  }

  @Test
  void everyMethod_unknownOrMalformedToken_isUnauthenticatedInvalidToken() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));
    Metadata twoTokens = TestCalls.bearer(READER);
    twoTokens.put(AuthInterceptor.AUTHORIZATION, "Bearer " + WRITER);
    List<Metadata> bad = List.of(TestCalls.bearer("not-a-known-token"), TestCalls.bearer(READER + "x"),
        TestCalls.bearer(""), authorization(READER), authorization("Basic " + READER), twoTokens,
        TestCalls.bearer(AccessTokens.hash(READER)));

    for (Metadata headers : bad) {
      TestCalls.validRequests("missing").forEach((method, request) -> {
        Closed closed = TestCalls.call(server.channel(), method, request, headers, TIMEOUT);

        assertThat(closed.code()).as(method.getFullMethodName() + " " + headers).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(closed.reason()).isEqualTo("INVALID_TOKEN");
        assertThat(closed.status().getDescription()).doesNotContain(READER, WRITER);
      });
    }
  }

  @Test
  void readToken_readsPass_writesArePermissionDenied() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    Map<String, Status.Code> codes = codes(server, TestCalls.bearer(READER));

    assertThat(codes).containsExactlyInAnyOrderEntriesOf(Map.of(
        "GetUser", Status.Code.NOT_FOUND, "ListUsers", Status.Code.OK, "WatchUserActivity", Status.Code.NOT_FOUND,
        "CreateUser", Status.Code.PERMISSION_DENIED, "UpdateUser", Status.Code.PERMISSION_DENIED,
        "DeleteUser", Status.Code.PERMISSION_DENIED, "RecordActivity", Status.Code.PERMISSION_DENIED));
  }

  @Test
  void writeToken_writesPass_readsArePermissionDenied() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    Map<String, Status.Code> codes = codes(server, TestCalls.bearer(WRITER));

    assertThat(codes).containsExactlyInAnyOrderEntriesOf(Map.of(
        "GetUser", Status.Code.PERMISSION_DENIED, "ListUsers", Status.Code.PERMISSION_DENIED,
        "WatchUserActivity", Status.Code.PERMISSION_DENIED, "CreateUser", Status.Code.OK,
        "UpdateUser", Status.Code.NOT_FOUND, "DeleteUser", Status.Code.NOT_FOUND,
        "RecordActivity", Status.Code.NOT_FOUND));
  }

  @Test
  void missingScope_namesScopeMethodAndPrincipal() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    Closed closed = TestCalls.call(server.channel(), UserServiceGrpc.getCreateUserMethod(),
        TestCalls.validRequests("missing").get(UserServiceGrpc.getCreateUserMethod()), TestCalls.bearer(READER),
        TIMEOUT);

    assertThat(closed.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(closed.reason()).isEqualTo("MISSING_SCOPE");
    assertThat(closed.errorInfo().getMetadataMap()).containsExactlyInAnyOrderEntriesOf(
        Map.of("scope", "users:write", "method", "CreateUser", "principal", "dashboard"));
    assertThat(closed.status().getDescription())
        .isEqualTo("the token of dashboard lacks the scope users:write that CreateUser needs");
  }

  @Test
  void bearerScheme_isCaseInsensitive() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    Closed closed = TestCalls.call(server.channel(), UserServiceGrpc.getListUsersMethod(),
        TestCalls.validRequests("x").get(UserServiceGrpc.getListUsersMethod()), authorization("bEARER " + READER),
        TIMEOUT);

    assertThat(closed.code()).isEqualTo(Status.Code.OK);
  }

  @Test
  void garbageWithoutToken_isRefusedBeforeItIsParsed() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    Closed closed = TestCalls.call(server.channel(), TestCalls.raw(UserServiceGrpc.getGetUserMethod()),
        new byte[] {0x0a, 0x64, 'a'}, new Metadata(), TIMEOUT);

    assertThat(closed.code()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void healthAndReflection_needNoToken() throws Exception {
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS));

    assertThat(HealthGrpc.newBlockingStub(server.channel()).check(HealthCheckRequest.getDefaultInstance())
        .getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(HealthGrpc.newBlockingStub(server.channel())
        .check(HealthCheckRequest.newBuilder().setService(UserServiceGrpc.SERVICE_NAME).build())
        .getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(TestCalls.call(server.channel(), ServerReflectionGrpc.getServerReflectionInfoMethod(),
        ServerReflectionRequest.newBuilder().setListServices("").build(), new Metadata(), TIMEOUT).code())
        .isEqualTo(Status.Code.OK);
  }

  @Test
  void principal_isInTheContextOfInterceptorsAndHandlers() throws Exception {
    List<Optional<Principal>> seen = new CopyOnWriteArrayList<>();
    ServerInterceptor recorder = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        seen.add(Principal.current());
        return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
          @Override
          public void onHalfClose() {
            seen.add(Principal.current());
            super.onHalfClose();
          }
        };
      }
    };
    InProcessServer server = start(b -> b.setAccessTokens(TOKENS).addInterceptor(recorder));

    TestCalls.call(server.channel(), UserServiceGrpc.getListUsersMethod(),
        TestCalls.validRequests("x").get(UserServiceGrpc.getListUsersMethod()), TestCalls.bearer(READER), TIMEOUT);

    Principal dashboard = new Principal("dashboard", Set.of("users:read"));
    assertThat(seen).containsExactly(Optional.of(dashboard), Optional.of(dashboard));
    assertThat(Principal.current()).isEmpty();
  }

  @Test
  void withoutTokens_callsPassWithoutPrincipal() throws Exception {
    List<Optional<Principal>> seen = new CopyOnWriteArrayList<>();
    InProcessServer server = start(b -> b.addInterceptor(new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        seen.add(Principal.current());
        return next.startCall(call, headers);
      }
    }));

    Map<String, Status.Code> codes = codes(server, new Metadata());

    assertThat(codes).doesNotContainValue(Status.Code.UNAUTHENTICATED).doesNotContainValue(Status.Code.PERMISSION_DENIED);
    assertThat(seen).hasSize(7).containsOnly(Optional.empty());
  }

  @Test
  void scopes_coverEveryMethodOfTheService() {
    for (ServerMethodDefinition<?, ?> method : UserServiceGrpc.bindService(new UserServiceGrpc.UserServiceImplBase() {})
        .getMethods()) {
      String name = method.getMethodDescriptor().getFullMethodName();
      String expected = READS.stream().anyMatch(read -> read.getFullMethodName().equals(name))
          ? AccessTokens.READ_SCOPE : AccessTokens.WRITE_SCOPE;
      assertThat(AuthInterceptor.SCOPES).as(name).containsEntry(name, expected);
    }
  }

  /** Calls every method with {@code headers} about a user that does not exist; returns each code by method. */
  private static Map<String, Status.Code> codes(InProcessServer server, Metadata headers) {
    Map<String, Status.Code> codes = new HashMap<>();
    for (Map.Entry<MethodDescriptor<? extends Message, ?>, Message> entry
        : TestCalls.validRequests("missing").entrySet()) {
      Closed closed = TestCalls.call(server.channel(), entry.getKey(), entry.getValue(), headers, TIMEOUT);
      codes.put(entry.getKey().getBareMethodName(), closed.code());
    }
    return codes;
  }

  private static Metadata authorization(String value) {
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, value);
    return headers;
  }
}
