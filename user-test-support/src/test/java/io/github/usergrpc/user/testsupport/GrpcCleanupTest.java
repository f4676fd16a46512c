package io.github.usergrpc.user.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The cleanup extension closes in reverse order, test by test or after the class, and fails a passing test
 * that leaves a call running. Its callbacks are called here as JUnit would (the context is not read).
 */
class GrpcCleanupTest {

  /** Passes the bytes through: the test's one method never reads them. */
  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };
  private static final MethodDescriptor<InputStream, InputStream> HANG =
      MethodDescriptor.<InputStream, InputStream>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Hang/Forever").setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();

  private final List<String> closed = new ArrayList<>();

  @Test
  void closesInReverseOrderOfRegistration() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup();
    cleanup.beforeEach(null);
    cleanup.register(closing("first"));
    cleanup.register(closing("second"));

    cleanup.afterEach(null);

    assertThat(closed).containsExactly("second", "first");
  }

  @Test
  void onAStaticField_registeredOutsideATest_isClosedAfterAllTests() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup();
    cleanup.beforeAll(null);
    cleanup.register(closing("class"));
    cleanup.beforeEach(null);
    cleanup.register(closing("test"));

    cleanup.afterEach(null);
    assertThat(closed).containsExactly("test");

    cleanup.afterAll(context(null));
    assertThat(closed).containsExactly("test", "class");
  }

  @Test
  void executor_isShutDownNow_andItsTasksInterrupted() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup();
    cleanup.beforeEach(null);
    ExecutorService executor = cleanup.register(Executors.newSingleThreadExecutor());
    CountDownLatch running = new CountDownLatch(1);
    Future<?> task = executor.submit(() -> {
      running.countDown();
      new CountDownLatch(1).await();
      return null;
    });
    running.await();

    cleanup.afterEach(null);

    assertThat(executor.isTerminated()).isTrue();
    assertThatThrownBy(task::get).hasCauseInstanceOf(InterruptedException.class);
  }

  @Test
  void onAnInstanceField_whatTheTestInstanceRegisteredBeforeTheTest_isClosedAfterIt() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup();
    cleanup.register(closing("field initializer"));
    cleanup.beforeEach(null);
    cleanup.register(closing("test"));

    cleanup.afterEach(null);

    assertThat(closed).containsExactly("test", "field initializer");
  }

  @Test
  void serverWithACallThatNeverEnds_isALeak_andIsForcedDown() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup(Duration.ofMillis(200));
    cleanup.beforeEach(null);
    List<ServerCall<InputStream, InputStream>> held = new ArrayList<>();
    Server server = hangingServer(cleanup, held);
    cleanup.afterTestExecution(context(null));

    assertThatThrownBy(() -> cleanup.afterEach(null)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("did not terminate").hasMessageContaining("server");
    assertThat(server.isTerminated()).as("forced down after the timeout").isTrue();
    assertThat(held).hasSize(1);
  }

  @Test
  void failedTest_isForcedDownAtOnce_withoutALeakReportToHideItsFailure() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup(Duration.ofMinutes(1));
    cleanup.beforeEach(null);
    Server server = hangingServer(cleanup, new ArrayList<>());
    cleanup.afterTestExecution(context(new AssertionError("the test's own failure")));

    long start = System.nanoTime();
    cleanup.afterEach(null);

    assertThat(server.isTerminated()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no graceful wait").isLessThan(Duration.ofSeconds(30));
  }

  /** Starts a server whose one method never answers, and a call of it that stays open. */
  private static Server hangingServer(GrpcCleanup cleanup, List<ServerCall<InputStream, InputStream>> held)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    // Registered before the server, so closed after it: once the server is down, its call ends and the
    // channel terminates, so the server is the one leak.
    ManagedChannel channel = cleanup.register(InProcessChannelBuilder.forName(name).directExecutor().build());
    Server server = cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerServiceDefinition.builder("test.Hang").addMethod(HANG, (call, headers) -> {
          held.add(call);
          call.request(1);
          return new ServerCall.Listener<>() {};
        }).build()).build().start());
    ClientCall<InputStream, InputStream> call = channel.newCall(HANG, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {}, new Metadata());
    call.sendMessage(new ByteArrayInputStream(new byte[0]));
    call.halfClose();
    return server;
  }

  /** An extension context that answers only whether the test (or class) failed, with {@code failure}. */
  private static ExtensionContext context(Throwable failure) {
    return (ExtensionContext) Proxy.newProxyInstance(GrpcCleanupTest.class.getClassLoader(),
        new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> {
          if (method.getName().equals("getExecutionException")) {
            return Optional.ofNullable(failure);
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  private AutoCloseable closing(String name) {
    return () -> closed.add(name);
  }
}
