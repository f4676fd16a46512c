package io.github.usergrpc.user.server.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.server.UserServer;
import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.GetUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Calls show up in the metrics with their method and status, and in the log as one line each. */
class ObservabilityTest {

  private static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Logger callLog = Logger.getLogger("io.github.usergrpc.user.server.calls");
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();
  private ServerMetrics metrics;
  private UserServer server;
  private ManagedChannel channel;
  private Level previousLevel;

  @BeforeEach
  void start() throws Exception {
    previousLevel = callLog.getLevel();
    callLog.setLevel(Level.FINE);
    callLog.addHandler(capture);
    metrics = cleanup.register(new ServerMetrics());
    String name = InProcessServerBuilder.generateName();
    server = cleanup.register(UserServer.newBuilder(InProcessServerBuilder.forName(name).directExecutor())
        .setStore(new InMemoryUserStore()).setMetrics(metrics).build().start());
    channel = cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  @AfterEach
  void restoreCallLog() {
    callLog.removeHandler(capture);
    callLog.setLevel(previousLevel);
  }

  @Test
  void calls_appearInTheMetricsWithMethodAndStatusLabels() {
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);
    users.createUser(CreateUserRequest.newBuilder().setEmail("m@example.com").setName("M").build());
    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder().setId("nobody").build()))
        .isInstanceOf(StatusRuntimeException.class);

    String scraped = metrics.scrape();

    assertThat(scraped).containsPattern(
        "grpc_server_call_duration_seconds_count\\{[^}]*grpc_method=\"user.UserService/CreateUser\""
            + "[^}]*grpc_status=\"OK\"[^}]*} 1");
    assertThat(scraped).containsPattern(
        "grpc_server_call_duration_seconds_count\\{[^}]*grpc_method=\"user.UserService/GetUser\""
            + "[^}]*grpc_status=\"NOT_FOUND\"[^}]*} 1");
    assertThat(scraped).containsPattern("user_store_operation_duration_seconds_count\\{[^}]*operation=\"create\"");
    assertThat(scraped).contains("user_watch_streams");
  }

  @Test
  void calls_areLoggedOneLineEach_withRequestIdAndWithoutPersonalData() {
    Metadata headers = new Metadata();
    headers.put(REQUEST_ID, "req-42");
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));

    users.createUser(CreateUserRequest.newBuilder().setEmail("secret.person@example.com").setName("S").build());
    assertThatThrownBy(() -> users.createUser(CreateUserRequest.newBuilder()
        .setEmail("secret.person@example.com").setName("S").build())).isInstanceOf(StatusRuntimeException.class);

    assertThat(records).hasSize(2);
    assertThat(records.get(0).getLevel()).isEqualTo(Level.FINE);
    assertThat(records.get(0).getMessage()).startsWith("rpc method=user.UserService/CreateUser status=OK duration_ms=")
        .endsWith("request_id=req-42");
    assertThat(records.get(1).getLevel()).isEqualTo(Level.WARNING);
    assertThat(records.get(1).getMessage()).contains("status=ALREADY_EXISTS");
    assertThat(records).allSatisfy(r -> assertThat(r.getMessage()).doesNotContain("secret.person"));
  }

  @Test
  void requestId_isEchoed_onSuccessInTheHeaders_andOnFailureInTheTrailersOnlyResponse() {
    Metadata sent = new Metadata();
    sent.put(REQUEST_ID, "req-err-1");
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel).withInterceptors(
        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers),
        MetadataUtils.newAttachHeadersInterceptor(sent));

    users.createUser(CreateUserRequest.newBuilder().setEmail("echo@example.com").setName("E").build());
    assertThat(headers.get().get(REQUEST_ID)).isEqualTo("req-err-1");

    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder().setId("nobody").build()))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(headers.get()).as("a trailers-only response has no headers").isNull();
    assertThat(trailers.get().get(REQUEST_ID)).isEqualTo("req-err-1");
  }
}
