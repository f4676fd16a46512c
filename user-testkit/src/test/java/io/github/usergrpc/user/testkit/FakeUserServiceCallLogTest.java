package io.github.usergrpc.user.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fake keeps a consumer's build quiet: no call-log line for the faults a test injects on purpose,
 * unless its call log is turned on, by the builder or by {@value FakeUserService#CALL_LOG_PROPERTY}.
 */
class FakeUserServiceCallLogTest {

  /** The logger the server's CallLoggingInterceptor writes to. */
  private final Logger calls = Logger.getLogger("io.github.usergrpc.user.server.calls");
  private final List<LogRecord> records = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      synchronized (records) {
        records.add(record);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level level;
  private String property;

  @BeforeEach
  void captureCallLog() {
    // A build run with the property on, to debug, must not change what these tests see.
    property = System.clearProperty(FakeUserService.CALL_LOG_PROPERTY);
    level = calls.getLevel();
    calls.setLevel(Level.ALL);
    calls.addHandler(capture);
  }

  @AfterEach
  void restore() {
    calls.removeHandler(capture);
    calls.setLevel(level);
    if (property == null) {
      System.clearProperty(FakeUserService.CALL_LOG_PROPERTY);
    } else {
      System.setProperty(FakeUserService.CALL_LOG_PROPERTY, property);
    }
  }

  @Test
  void byDefault_injectedFaultsAndSuccessfulCallsLogNothing_andTheRequestIdIsStillEchoed() {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    try (FakeUserService fake = FakeUserService.newBuilder().build().start()) {
      callWithInjectedUnavailable(fake, headers);
    }

    assertThat(records()).isEmpty();
    assertThat(headers.get().get(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("req-ok-1");
  }

  @Test
  void setCallLogging_logsEachCallAsTheRealServerDoes() {
    try (FakeUserService fake = FakeUserService.newBuilder().setCallLogging(true).build().start()) {
      callWithInjectedUnavailable(fake, new AtomicReference<>());
    }

    assertThat(records()).extracting(LogRecord::getLevel).containsExactly(Level.WARNING, Level.FINE);
    assertThat(records().get(0).getMessage())
        .startsWith("rpc method=user.UserService/CreateUser status=UNAVAILABLE ");
  }

  @Test
  void systemProperty_turnsTheCallLogOnForNewBuilders() {
    System.setProperty(FakeUserService.CALL_LOG_PROPERTY, "true");
    try (FakeUserService fake = FakeUserService.newBuilder().build().start()) {
      callWithInjectedUnavailable(fake, new AtomicReference<>());
    }

    assertThat(records()).extracting(LogRecord::getMessage)
        .anySatisfy(line -> assertThat(line).contains("status=UNAVAILABLE"));
  }

  /** Makes one CreateUser fail with an injected UNAVAILABLE, then one succeed with a request id. */
  private static void callWithInjectedUnavailable(FakeUserService fake, AtomicReference<Metadata> headers) {
    fake.failNext(UserServiceGrpc.getCreateUserMethod(), 1, Status.UNAVAILABLE);
    CreateUserRequest request = CreateUserRequest.newBuilder().setEmail("ada@example.com").setName("Ada").build();
    assertThatThrownBy(() -> UserServiceGrpc.newBlockingStub(fake.channel()).createUser(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    Metadata requestId = new Metadata();
    requestId.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), "req-ok-1");
    UserServiceGrpc.newBlockingStub(fake.channel())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(requestId),
            MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()))
        .createUser(request);
  }

  private List<LogRecord> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }
}
