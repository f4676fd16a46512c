package io.github.usergrpc.user.server;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cleanup extension closes in reverse order and fails a test that leaves a call running. */
class GrpcCleanupTest {

  private static final MethodDescriptor<byte[], byte[]> HANG = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Hang/Forever")
      .setRequestMarshaller(TestCalls.BYTES).setResponseMarshaller(TestCalls.BYTES).build();

  @Test
  void closesInReverseOrderOfRegistration() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup();
    List<String> closed = new ArrayList<>();
    AutoCloseable first = () -> closed.add("first");
    AutoCloseable second = () -> closed.add("second");
    cleanup.register(first);
    cleanup.register(second);

    cleanup.afterEach(null);

    assertThat(closed).containsExactly("second", "first");
  }

  @Test
  void serverWithACallThatNeverEnds_isALeak_andIsForcedDown() throws Exception {
    GrpcCleanup cleanup = new GrpcCleanup(Duration.ofMillis(200));
    String name = InProcessServerBuilder.generateName();
    List<ServerCall<byte[], byte[]>> held = new ArrayList<>();
    Server server = cleanup.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerServiceDefinition.builder("test.Hang").addMethod(HANG, (call, headers) -> {
          held.add(call);
          call.request(1);
          return new ServerCall.Listener<>() {};
        }).build()).build().start());
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    ClientCall<byte[], byte[]> call = channel.newCall(HANG, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {}, new Metadata());
    call.sendMessage(new byte[0]);
    call.halfClose();

    assertThatThrownBy(() -> cleanup.afterEach(null)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("did not terminate").hasMessageContaining("server");
    assertThat(server.isTerminated()).as("forced down after the timeout").isTrue();
    assertThat(held).hasSize(1);
    channel.shutdownNow();
  }
}
