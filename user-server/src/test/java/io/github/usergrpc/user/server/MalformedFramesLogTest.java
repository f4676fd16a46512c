package io.github.usergrpc.user.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usergrpc.user.service.store.InMemoryUserStore;
import io.github.usergrpc.user.testsupport.GrpcCleanup;
import io.github.usergrpc.user.v1.CreateUserRequest;
import io.github.usergrpc.user.v1.UserServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A flood of malformed gRPC messages over raw HTTP/2 connections to a real Netty server: every stream is
 * refused, the server keeps serving, and the log gets one line for all of them instead of a WARNING with a
 * stack trace per stream.
 */
class MalformedFramesLogTest {

  private static final String METHOD = "/user.UserService/GetUser";
  /** The shapes of broken gRPC message framing: 1 flag byte, a 4-byte length, then the message. */
  private static final List<byte[]> BROKEN_MESSAGES = List.of(
      new byte[] {0, 0, 0, 0, 100, 1, 2}, // the length prefix runs past the body
      new byte[] {(byte) 0x80, 0, 0, 0, 0}, // reserved flag bits
      new byte[] {1, 0, 0, 0, 0}, // compressed, without grpc-encoding
      new byte[] {0, 0, 0}); // a 3-byte frame
  private static final int CONNECTIONS = 20;
  private static final int STREAMS_PER_SHAPE = 10;

  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  @Test
  void floodOfMalformedMessages_isRefusedAndLoggedOnOneLine() throws Exception {
    ExecutorService executor = cleanup.register(Executors.newFixedThreadPool(4));
    InMemoryUserStore store = cleanup.register(new InMemoryUserStore());
    UserServer server = cleanup.register(UserServerMain.newServer(
        ServerOptions.parse(List.of("--port", "0", "--store", "memory"), Map.of()), store, executor).start());
    try (LogCapture log = new LogCapture()) {
      List<RawGrpcConnection> connections = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        RawGrpcConnection connection = cleanup.register(new RawGrpcConnection(server.port()));
        connections.add(connection);
        for (int i = 0; i < STREAMS_PER_SHAPE; i++) {
          for (byte[] message : BROKEN_MESSAGES) {
            connection.call(METHOD, message);
          }
        }
      }
      // Every stream is answered (trailers with INTERNAL, or a reset) before the server is shut down.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int streams = CONNECTIONS * STREAMS_PER_SHAPE * BROKEN_MESSAGES.size();
      while (countOccurrences(log.text(), "refused ") == 0
          || connections.stream().mapToLong(RawGrpcConnection::bytesRead).sum() < streams * 9L) {
        assertThat(System.nanoTime()).as("the server answers every malformed stream").isLessThan(deadline);
        Thread.sleep(20);
      }

      // The server still serves well-formed calls.
      ManagedChannel channel = cleanup.register(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          InsecureChannelCredentials.create()).build());
      assertThat(UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .createUser(CreateUserRequest.newBuilder().setEmail("ok@example.com").setName("Ok").build())
          .getName()).isEqualTo("Ok");
      // The connections close before the log is read, so that what their closing logs is checked too.
      for (RawGrpcConnection connection : connections) {
        connection.close();
      }

      // Everything logged at WARNING and above, as an operator sees it by default: one line, no trace.
      List<String> warnings = log.records().stream()
          .filter(record -> record.getLevel().intValue() >= Level.WARNING.intValue())
          .map(record -> record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown()))
          .toList();
      assertThat(warnings).singleElement().asString()
          .startsWith("refused ")
          .contains("malformed stream")
          .containsAnyOf("end-of-stream mid-frame", "reserved bits", "compression not configured");
      assertThat(log.text()).doesNotContain("Exception processing message", "StatusRuntimeException");
    }
  }

  private static int countOccurrences(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      count++;
    }
    return count;
  }
}
